"use client";
import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError } from "@/lib/api";
import type { Workflow } from "@/lib/types";
import { useToast } from "../Providers";

export type SaveState = "saved" | "dirty" | "saving" | "error" | "conflict";

export const SAVE_LABELS: Record<SaveState, string> = {
  saved: "All changes saved",
  dirty: "Unsaved changes",
  saving: "Saving…",
  error: "Save failed",
  conflict: "Changed elsewhere",
};

export interface Draft {
  /** `graphKey` of the graph: stable JSON of its API form. */
  key: string;
  name: string;
  description: string;
}

const same = (a: Draft, b: Draft) => a.key === b.key && a.name === b.name && a.description === b.description;

/**
 * Saves the draft 800 ms after it last changed, one PUT at a time, each sending the `updated_at`
 * (and `version`) it last received; a 409 stops autosave until the page is reloaded.
 */
export function useAutosave(workflow: Workflow, draft: Draft) {
  const toast = useToast();
  const [state, setState] = useState<SaveState>("saved");
  const latest = useRef(draft);
  latest.current = draft;
  const saved = useRef<Draft>({ key: draft.key, name: workflow.name, description: workflow.description ?? "" });
  const stamp = useRef({ updated_at: workflow.updated_at, version: workflow.version });
  const chain = useRef<Promise<boolean>>(Promise.resolve(true));
  const conflict = useRef(false);

  /** One save, reading the latest draft and stamp when it starts (no stale 409s). */
  const saveOnce = useCallback(async (): Promise<boolean> => {
    if (conflict.current) return false;
    const d = latest.current;
    if (same(d, saved.current)) {
      setState("saved");
      return true;
    }
    setState("saving");
    try {
      const body: Record<string, unknown> = { name: d.name.trim() || "Untitled workflow", description: d.description, ...JSON.parse(d.key), updated_at: stamp.current.updated_at };
      if (stamp.current.version !== undefined) body.version = stamp.current.version;
      const w = await api<Workflow>(`/workflows/${workflow.id}`, { method: "PUT", body });
      stamp.current = { updated_at: w.updated_at, version: w.version };
      saved.current = d;
      setState(same(latest.current, d) ? "saved" : "dirty");
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        conflict.current = true;
        setState("conflict");
        toast.show("This workflow changed elsewhere. Reload to get the latest version.", "error");
      } else {
        setState("error");
        toast.error(err, "Autosave failed");
      }
      return false;
    }
  }, [workflow.id, toast]);

  const saveNow = useCallback((): Promise<boolean> => {
    const next = chain.current.then(saveOnce, saveOnce);
    chain.current = next;
    return next;
  }, [saveOnce]);

  const { key, name, description } = draft;
  useEffect(() => {
    if (conflict.current) return;
    if (same({ key, name, description }, saved.current)) {
      // back to what is saved (an undo before the save fired): nothing to send
      setState((s) => (s === "dirty" ? "saved" : s));
      return;
    }
    setState((s) => (s === "saving" ? s : "dirty"));
    const t = setTimeout(() => void saveNow(), 800);
    return () => clearTimeout(t);
  }, [key, name, description, saveNow]);

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (!same(latest.current, saved.current)) e.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, []);

  return { state, saveNow };
}
