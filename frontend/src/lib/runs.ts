import type { Run, RunStatus, StepState, StepStatus } from "./types";

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

const STEP_RANK: Record<StepState, number> = { queued: 0, running: 1, succeeded: 2, failed: 2, skipped: 2, reused: 2 };

/** Each step's state: what the run stored and what the stream's `node` events said since, whichever
 *  is further along (a step never goes back from an end to running, whatever arrives first). */
export function stepStates(stored: Record<string, StepStatus> | undefined, live: Record<string, StepStatus>): Record<string, StepStatus> {
  const merged: Record<string, StepStatus> = { ...(stored ?? {}) };
  for (const [id, status] of Object.entries(live)) {
    const known = merged[id];
    if (!known || STEP_RANK[status.state] >= STEP_RANK[known.state]) merged[id] = { ...known, ...status };
  }
  return merged;
}

export const STEP_STATE_LABELS: Record<StepState, string> = {
  queued: "Queued",
  running: "Running",
  succeeded: "Done",
  failed: "Failed",
  skipped: "Skipped",
  reused: "Reused",
};
