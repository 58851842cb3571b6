"use client";
import { useEffect, useState } from "react";
import { api, ApiError } from "@/lib/api";
import type { StepPreview } from "@/lib/types";

export const PREVIEW_ROWS = 50;

export type PreviewState =
  | { status: "idle" }
  | { status: "loading"; previous?: StepPreview }
  | { status: "ready"; preview: StepPreview }
  | { status: "error"; message: string; details: string[] };

/** Asks the API for the table out of `nodeId` whenever the part of the graph above it changes (debounced,
 * the stale request aborted), so editing never waits on it. `upstream` is `upstreamGraph(...)`. */
export function usePreview(nodeId: string | null, upstream: string | null): PreviewState {
  const [state, setState] = useState<PreviewState>({ status: "idle" });
  useEffect(() => {
    if (!nodeId || !upstream) {
      setState({ status: "idle" });
      return;
    }
    const ctrl = new AbortController();
    setState((s) => ({ status: "loading", previous: s.status === "ready" ? s.preview : s.status === "loading" ? s.previous : undefined }));
    const t = setTimeout(async () => {
      try {
        const body = { ...JSON.parse(upstream), node_id: nodeId, limit: PREVIEW_ROWS };
        const preview = await api<StepPreview>("/workflows/preview", { body, signal: ctrl.signal });
        setState({ status: "ready", preview });
      } catch (e) {
        if ((e as Error).name === "AbortError") return;
        const issues = e instanceof ApiError ? e.issues.map((i) => i.message) : [];
        const message = e instanceof ApiError ? e.detail : "The preview could not be computed";
        setState({ status: "error", message, details: issues.filter((m) => m !== message) });
      }
    }, 300);
    return () => {
      clearTimeout(t);
      ctrl.abort();
    };
  }, [nodeId, upstream]);
  return state;
}
