import { describe, expect, it } from "vitest";
import { mergeRun, stepStates } from "./runs";
import type { Run } from "./types";

const base: Run = {
  id: "r",
  workflow_id: "w",
  status: "running",
  progress: { fraction: 0.2, message: "fitting" },
  created_at: "2026-01-01T00:00:00Z",
  results: [],
};

describe("mergeRun", () => {
  it("prefers fresher live progress and status while running", () => {
    const m = mergeRun(base, { progress: { fraction: 0.6, message: "evaluating" }, status: "running" });
    expect(m.progress.fraction).toBe(0.6);
    expect(mergeRun(base, { progress: { fraction: 0.1, message: "old" } }).progress.fraction).toBe(0.2);
  });

  it("lets a terminal poll win over stale live events", () => {
    const done: Run = { ...base, status: "succeeded", progress: { fraction: 1, message: "done" } };
    const m = mergeRun(done, { status: "running", progress: { fraction: 0.5, message: "late" } });
    expect(m.status).toBe("succeeded");
    expect(m.progress.fraction).toBe(1);
  });

  it("keeps results streamed before the poll catches up", () => {
    const r = { node_id: "m", algorithm: "rf", task: "binary", metrics: { accuracy: 0.8 }, plots: {} };
    expect(mergeRun(base, { results: [r] }).results).toHaveLength(1);
    expect(mergeRun({ ...base, status: "succeeded" }, { results: [r] }).results).toHaveLength(1);
  });
});

describe("stepStates", () => {
  it("takes whichever of stored and live is further along, never back from an end", () => {
    const stored = { a: { state: "succeeded" as const }, b: { state: "queued" as const }, c: { state: "running" as const } };
    const live = { a: { state: "running" as const }, b: { state: "running" as const, message: "fitting" } };
    const merged = stepStates(stored, live);
    expect(merged.a.state).toBe("succeeded");
    expect(merged.b).toEqual({ state: "running", message: "fitting" });
    expect(merged.c.state).toBe("running");
    expect(stepStates(undefined, { x: { state: "failed" } }).x.state).toBe("failed");
  });
});
