"use client";
import { useEffect, useState } from "react";
import { api, ApiError } from "@/lib/api";
import type { Issue, ValidationResult } from "@/lib/types";

export type ValidationState = "idle" | "checking" | "error";

/** Asks the API to validate the graph (debounced, the stale request aborted) whenever its key changes. */
export function useValidation(graphKey: string) {
  const [issues, setIssues] = useState<Issue[]>([]);
  const [state, setState] = useState<ValidationState>("idle");
  useEffect(() => {
    const ctrl = new AbortController();
    setState("checking");
    const t = setTimeout(async () => {
      try {
        const res = await api<ValidationResult>("/workflows/validate", { body: JSON.parse(graphKey), signal: ctrl.signal });
        setIssues(res.issues ?? []);
        setState("idle");
      } catch (e) {
        if ((e as Error).name === "AbortError") return;
        if (e instanceof ApiError && e.issues.length) {
          setIssues(e.issues);
          setState("idle");
        } else setState("error");
      }
    }, 350);
    return () => {
      clearTimeout(t);
      ctrl.abort();
    };
  }, [graphKey]);
  return { issues, setIssues, state };
}
