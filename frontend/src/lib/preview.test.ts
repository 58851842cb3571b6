import { describe, expect, it } from "vitest";
import type { FlowEdge, FlowNode } from "./graph";
import { formatCell, previewSummary, upstreamGraph } from "./preview";

const node = (id: string, nodeType: string, x = 0): FlowNode =>
  ({ id, type: "step", position: { x, y: 0 }, data: { nodeType, params: {} } }) as unknown as FlowNode;
const edge = (source: string, target: string): FlowEdge => ({ id: `${source}-${target}`, source, target }) as FlowEdge;

describe("upstreamGraph", () => {
  const nodes = [node("d", "dataset"), node("s", "preprocess.scale"), node("m", "model.ridge"), node("x", "model.knn")];
  const edges = [edge("d", "s"), edge("s", "m"), edge("d", "x")];

  it("keeps the step and what is above it only", () => {
    const g = JSON.parse(upstreamGraph("s", nodes, edges)!);
    expect(g.nodes.map((n: { id: string }) => n.id)).toEqual(["d", "s"]);
    expect(g.edges.map((e: { id: string }) => e.id)).toEqual(["d-s"]);
  });

  it("does not change when a step elsewhere moves or changes", () => {
    const before = upstreamGraph("s", nodes, edges);
    const moved = nodes.map((n) => (n.id === "s" ? node("s", "preprocess.scale", 300) : n.id === "x" ? node("x", "model.svm") : n));
    expect(upstreamGraph("s", moved, edges)).toBe(before);
  });

  it("is null for a step that is gone", () => {
    expect(upstreamGraph("gone", nodes, edges)).toBeNull();
  });
});

describe("previewSummary", () => {
  it("says rows, columns and the split's sizes", () => {
    const split = { train: 668, test: 223 };
    const p = { node_id: "s", kind: "rows" as const, columns: [{ name: "a", dtype: "float" }], rows: [], total_rows: 668, split, cached: false, log: [] };
    expect(previewSummary(p)).toBe("668 training rows · 1 column · split 668 train / 223 test");
    expect(previewSummary({ ...p, kind: "predictions", total_rows: 223, split: null })).toBe("223 test rows · 1 column");
  });
});

describe("formatCell", () => {
  it("shows missing values and rounds long numbers", () => {
    expect(formatCell(null)).toBe("—");
    expect(formatCell(3)).toBe("3");
    expect(formatCell(0.123456789)).toBe("0.123457");
    expect(formatCell("male")).toBe("male");
  });
});
