"use client";
import { useCallback, useRef, useState } from "react";
import { historyPush, historyRedo, historyUndo, type FlowEdge, type FlowNode, type History } from "@/lib/graph";

export interface Graph {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** How a change enters the undo history: a step of its own, merged into the last one, or not at all. */
export type HistoryMode = "step" | "silent" | { coalesce: string };

const COALESCE_MS = 1500;

/**
 * The canvas graph with undo/redo (the tested `History` of graph.ts). Drags and selection are
 * `silent`; typing in one field coalesces into one step; everything else is a step.
 */
export function useGraphHistory(initial: Graph) {
  const [history, setHistory] = useState<History<Graph>>({ past: [], present: initial, future: [] });
  const latest = useRef(history);
  latest.current = history;
  const lastCoalesce = useRef<{ key: string; at: number } | null>(null);

  /** Whether this change starts a new undo step (decided outside the state updater: StrictMode runs those twice). */
  const startsStep = useCallback((record: HistoryMode): boolean => {
    if (record === "silent") return false;
    if (record === "step") {
      lastCoalesce.current = null;
      return true;
    }
    const now = Date.now();
    const last = lastCoalesce.current;
    lastCoalesce.current = { key: record.coalesce, at: now };
    return !(last && last.key === record.coalesce && now - last.at < COALESCE_MS);
  }, []);

  const change = useCallback(
    (update: (g: Graph) => Graph, record: HistoryMode = "step") => {
      const push = startsStep(record);
      setHistory((h) => {
        const next = update(h.present);
        if (next === h.present) return h;
        return push ? historyPush(h, next) : { ...h, present: next };
      });
    },
    [startsStep],
  );

  /** Marks the current graph as an undo point (before a drag moves nodes silently). */
  const checkpoint = useCallback(() => {
    lastCoalesce.current = null;
    setHistory((h) => historyPush(h, h.present));
  }, []);

  const undo = useCallback(() => {
    lastCoalesce.current = null;
    setHistory(historyUndo);
  }, []);
  const redo = useCallback(() => {
    lastCoalesce.current = null;
    setHistory(historyRedo);
  }, []);

  /** The graph as of the last render, for event handlers that must not go stale. */
  const current = useCallback(() => latest.current.present, []);

  return {
    graph: history.present,
    canUndo: history.past.length > 0,
    canRedo: history.future.length > 0,
    change,
    checkpoint,
    undo,
    redo,
    current,
  };
}
