// Step previews: which part of the graph a preview depends on, and how its table reads.
import type { FlowEdge, FlowNode } from "./graph";
import { toApi } from "./graph";
import type { StepPreview } from "./types";

/** The selected step and everything upstream of it, in the API's shape: a preview depends on nothing else,
 * so edits elsewhere on the canvas never ask again. */
export function upstreamGraph(nodeId: string, nodes: FlowNode[], edges: FlowEdge[]): string | null {
  if (!nodes.some((n) => n.id === nodeId)) return null;
  const parents = new Map<string, string[]>();
  for (const e of edges) parents.set(e.target, [...(parents.get(e.target) ?? []), e.source]);
  const keep = new Set([nodeId]);
  const stack = [nodeId];
  while (stack.length) {
    for (const p of parents.get(stack.pop()!) ?? []) {
      if (!keep.has(p)) {
        keep.add(p);
        stack.push(p);
      }
    }
  }
  const graph = toApi(
    nodes.filter((n) => keep.has(n.id)),
    edges.filter((e) => keep.has(e.source) && keep.has(e.target)),
  );
  // Canvas positions don't change what a step computes.
  return JSON.stringify({ nodes: graph.nodes.map((n) => ({ ...n, position: undefined })), edges: graph.edges });
}

/** One line on what the table is: how many rows, and for a split its train/test sizes. */
export function previewSummary(p: StepPreview): string {
  const rows = `${p.total_rows.toLocaleString("en-US")} ${p.kind === "predictions" ? "test rows" : "training rows"}`;
  const split = p.split
    ? ` · split ${p.split.train.toLocaleString("en-US")} train / ${p.split.test.toLocaleString("en-US")} test${p.split.folds ? ` (fold 1 of ${p.split.folds})` : ""}`
    : "";
  return `${rows} · ${p.columns.length} column${p.columns.length === 1 ? "" : "s"}${split}`;
}

/** A cell as text: missing shown as such, long numbers rounded for reading. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return String(value);
}
