import type { Run, RunStatus } from "./types";

export const TERMINAL: RunStatus[] = ["succeeded", "failed", "cancelled"];

/** The polled run and what the event stream said since: a terminal poll always wins. */
export function mergeRun(polled: Run, live: Partial<Run>): Run {
  if (TERMINAL.includes(polled.status)) {
    return { ...polled, results: polled.results?.length ? polled.results : live.results ?? [] };
  }
  const liveResults = live.results ?? [];
  return {
    ...polled,
    ...live,
    status: live.status ?? polled.status,
    progress: live.progress && live.progress.fraction >= (polled.progress?.fraction ?? 0) ? live.progress : polled.progress,
    results: liveResults.length >= (polled.results?.length ?? 0) ? liveResults : polled.results,
  };
}
