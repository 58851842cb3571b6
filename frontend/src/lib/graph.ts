// Graph <-> API mapping, typed-port connection rules, templates. Pure: unit tested.
import { kindWords, portWants } from "./labels";
import type { ApiEdge, ApiNode, Catalog, Issue, NodeTypeSpec, ParamSpec, Port, PortKind, StepStatus } from "./types";

/** What a canvas node carries in `data`. */
export interface StepData extends Record<string, unknown> {
  nodeType: string;
  params: Record<string, unknown>;
  issues?: Issue[];
  status?: string;
  /** On a run's canvas: where this step of the run is. */
  runState?: StepStatus;
}

/** The subset of React Flow's Node/Edge we produce and consume (kept structural so tests need no DOM). */
export interface FlowNode {
  id: string;
  type: string;
  position: { x: number; y: number };
  data: StepData;
  selected?: boolean;
  [key: string]: unknown;
}

export interface FlowEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
  [key: string]: unknown;
}

export interface Connection {
  source: string | null;
  target: string | null;
  sourceHandle?: string | null;
  targetHandle?: string | null;
}

export const STEP = "step";

export type CatalogIndex = Map<string, NodeTypeSpec>;

export function indexCatalog(catalog: Catalog | undefined): CatalogIndex {
  return new Map((catalog?.node_types ?? []).map((t) => [t.type, t]));
}

export function fromApi(nodes: ApiNode[], edges: ApiEdge[]): { nodes: FlowNode[]; edges: FlowEdge[] } {
  return {
    nodes: nodes.map((n) => ({
      id: n.id,
      type: STEP,
      position: { x: n.position?.x ?? 0, y: n.position?.y ?? 0 },
      data: { nodeType: n.type, params: { ...(n.params ?? {}) } },
    })),
    edges: edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      sourceHandle: e.source_handle ?? null,
      targetHandle: e.target_handle ?? null,
    })),
  };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

export function toApi(nodes: FlowNode[], edges: FlowEdge[]): { nodes: ApiNode[]; edges: ApiEdge[] } {
  return {
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.data.nodeType,
      params: cleanParams(n.data.params),
      position: { x: round(n.position.x), y: round(n.position.y) },
    })),
    edges: edges.map((e) => {
      const out: ApiEdge = { id: e.id, source: e.source, target: e.target };
      if (e.sourceHandle) out.source_handle = e.sourceHandle;
      if (e.targetHandle) out.target_handle = e.targetHandle;
      return out;
    }),
  };
}

/** Drops `undefined` (JSON would drop it anyway) so the saved graph is stable for comparison. */
export function cleanParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

export function defaultParams(spec: NodeTypeSpec | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of spec?.params ?? []) out[p.name] = cloneDefault(p);
  return out;
}

function cloneDefault(p: ParamSpec): unknown {
  const d = p.default;
  if (Array.isArray(d)) return [...d];
  return d === undefined ? null : d;
}

let counter = 0;
export function newId(prefix: string): string {
  counter = (counter + 1) % 1_000_000;
  const rand = Math.random().toString(36).slice(2, 8);
  return `${prefix.replace(/[^a-z0-9]+/gi, "_")}_${Date.now().toString(36)}${counter.toString(36)}${rand}`;
}

export function makeNode(spec: NodeTypeSpec, position: { x: number; y: number }, id?: string): FlowNode {
  return {
    id: id ?? newId(spec.type.split(".").pop() ?? "node"),
    type: STEP,
    position,
    data: { nodeType: spec.type, params: defaultParams(spec) },
  };
}

/** Port lookup mirroring the API's: no handle means the only port, if there is exactly one. */
export function findPort(ports: Port[] | undefined, handle: string | null | undefined): Port | undefined {
  const list = ports ?? [];
  if (!handle) return list.length === 1 ? list[0] : undefined;
  return list.find((p) => p.name === handle);
}

export function portAccepts(input: Port, kind: PortKind): boolean {
  const accepts = input.accepts && input.accepts.length ? input.accepts : [input.kind];
  return accepts.includes(kind);
}

export type ConnectionCheck = { ok: true } | { ok: false; reason: string };

/** Whether a connection being drawn may be dropped: typed ports, one input per port, no self-loop, no cycle. */
export function checkConnection(
  conn: Connection,
  nodes: FlowNode[],
  edges: FlowEdge[],
  catalog: CatalogIndex,
): ConnectionCheck {
  const { source, target } = conn;
  if (!source || !target) return { ok: false, reason: "incomplete connection" };
  if (source === target) return { ok: false, reason: "a node cannot feed itself" };
  const s = nodes.find((n) => n.id === source);
  const t = nodes.find((n) => n.id === target);
  if (!s || !t) return { ok: false, reason: "unknown node" };
  const sSpec = catalog.get(s.data.nodeType);
  const tSpec = catalog.get(t.data.nodeType);
  if (!sSpec || !tSpec) return { ok: false, reason: "unknown node type" };
  const out = findPort(sSpec.outputs, conn.sourceHandle);
  const inp = findPort(tSpec.inputs, conn.targetHandle);
  if (!out) return { ok: false, reason: `${sSpec.label} has no such output` };
  if (!inp) return { ok: false, reason: `${tSpec.label} has no such input` };
  if (!portAccepts(inp, out.kind)) return { ok: false, reason: `${tSpec.label} takes ${portWants(inp)}, not ${kindWords([out.kind])}` };
  const taken = edges.some(
    (e) => e.target === target && (findPort(tSpec.inputs, e.targetHandle)?.name ?? null) === inp.name,
  );
  if (taken && !inp.multiple) return { ok: false, reason: `${tSpec.label} already has ${portWants(inp)} connected` };
  const twice = edges.some((e) => e.source === source && e.target === target && (findPort(tSpec.inputs, e.targetHandle)?.name ?? null) === inp.name);
  if (twice) return { ok: false, reason: `${sSpec.label} is already connected to ${tSpec.label}` };
  if (reaches(target, source, edges)) return { ok: false, reason: "that edge would make a cycle" };
  return { ok: true };
}

/** Is `to` reachable from `from` along edges? */
export function reaches(from: string, to: string, edges: FlowEdge[]): boolean {
  const children = new Map<string, string[]>();
  for (const e of edges) {
    const list = children.get(e.source) ?? [];
    list.push(e.target);
    children.set(e.source, list);
  }
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const cur = stack.pop()!;
    if (cur === to) return true;
    if (seen.has(cur)) continue;
    seen.add(cur);
    stack.push(...(children.get(cur) ?? []));
  }
  return false;
}

export function makeEdge(conn: Connection, nodes: FlowNode[], catalog: CatalogIndex): FlowEdge {
  const s = nodes.find((n) => n.id === conn.source);
  const t = nodes.find((n) => n.id === conn.target);
  const out = s ? findPort(catalog.get(s.data.nodeType)?.outputs, conn.sourceHandle) : undefined;
  const inp = t ? findPort(catalog.get(t.data.nodeType)?.inputs, conn.targetHandle) : undefined;
  const sourceHandle = conn.sourceHandle ?? out?.name ?? null;
  const targetHandle = conn.targetHandle ?? inp?.name ?? null;
  return {
    id: `e_${conn.source}_${sourceHandle ?? "out"}__${conn.target}_${targetHandle ?? "in"}`,
    source: conn.source!,
    target: conn.target!,
    sourceHandle,
    targetHandle,
  };
}

/** The first output→input pair through which `from` can feed `to` (typed, free, no cycle), if any. */
export function fittingConnection(from: FlowNode, to: FlowNode, nodes: FlowNode[], edges: FlowEdge[], catalog: CatalogIndex): Connection | null {
  const outs = catalog.get(from.data.nodeType)?.outputs ?? [];
  const ins = catalog.get(to.data.nodeType)?.inputs ?? [];
  for (const out of outs)
    for (const inp of ins) {
      const conn = { source: from.id, sourceHandle: out.name, target: to.id, targetHandle: inp.name };
      if (checkConnection(conn, nodes, edges, catalog).ok) return conn;
    }
  return null;
}

export const NODE_WIDTH = 190;
const NODE_GAP_X = 70;
const NODE_STEP_Y = 110;

/** Where a step added after `anchor` goes: to its right, moved down past any step already there. */
export function positionAfter(anchor: FlowNode, nodes: FlowNode[]): { x: number; y: number } {
  const x = anchor.position.x + NODE_WIDTH + NODE_GAP_X;
  let y = anchor.position.y;
  const occupied = (yy: number) => nodes.some((n) => Math.abs(n.position.x - x) < NODE_WIDTH && Math.abs(n.position.y - yy) < NODE_STEP_Y * 0.8);
  for (let i = 0; i < 50 && occupied(y); i++) y += NODE_STEP_Y;
  return { x, y };
}

/** A new step placed after `anchor`, with the edge from it when the ports fit. */
export function addAfter(
  spec: NodeTypeSpec,
  anchor: FlowNode,
  nodes: FlowNode[],
  edges: FlowEdge[],
  catalog: CatalogIndex,
): { node: FlowNode; edge: FlowEdge | null } {
  const node = makeNode(spec, positionAfter(anchor, nodes));
  const all = [...nodes, node];
  const conn = fittingConnection(anchor, node, all, edges, catalog);
  return { node, edge: conn ? makeEdge(conn, all, catalog) : null };
}

/**
 * The edges after dropping `node` on `edge`: source → node → target, when the node can take the
 * source's output and feed the target's input; null when it cannot (the edge then stays).
 */
export function insertOnEdge(edge: FlowEdge, node: FlowNode, nodes: FlowNode[], edges: FlowEdge[], catalog: CatalogIndex): FlowEdge[] | null {
  const all = nodes.some((n) => n.id === node.id) ? nodes : [...nodes, node];
  const rest = edges.filter((e) => e.id !== edge.id);
  const source = all.find((n) => n.id === edge.source);
  const target = all.find((n) => n.id === edge.target);
  if (!source || !target) return null;
  const sourceOut = findPort(catalog.get(source.data.nodeType)?.outputs, edge.sourceHandle);
  const ins = catalog.get(node.data.nodeType)?.inputs ?? [];
  const inConn = ins
    .map((p) => ({ source: source.id, sourceHandle: sourceOut?.name ?? null, target: node.id, targetHandle: p.name }))
    .find((c) => checkConnection(c, all, rest, catalog).ok);
  if (!inConn) return null;
  const first = makeEdge(inConn, all, catalog);
  const targetIn = findPort(catalog.get(target.data.nodeType)?.inputs, edge.targetHandle);
  const outs = catalog.get(node.data.nodeType)?.outputs ?? [];
  const outConn = outs
    .map((p) => ({ source: node.id, sourceHandle: p.name, target: target.id, targetHandle: targetIn?.name ?? null }))
    .find((c) => checkConnection(c, all, [...rest, first], catalog).ok);
  if (!outConn) return null;
  return [...rest, first, makeEdge(outConn, all, catalog)];
}

/** The dataset node at the top of a node's chain (following the first input), if any. */
export function upstreamDataset(nodeId: string, nodes: FlowNode[], edges: FlowEdge[]): FlowNode | undefined {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  let cur = byId.get(nodeId);
  while (cur && !seen.has(cur.id)) {
    if (cur.data.nodeType === "dataset") return cur;
    seen.add(cur.id);
    const parent = edges.find((e) => e.target === cur!.id);
    cur = parent ? byId.get(parent.source) : undefined;
  }
  return undefined;
}

/** Issues keyed by node id (edge issues keyed by edge id; the rest under ""). */
export function groupIssues(issues: Issue[]): { byNode: Map<string, Issue[]>; byEdge: Map<string, Issue[]>; general: Issue[] } {
  const byNode = new Map<string, Issue[]>();
  const byEdge = new Map<string, Issue[]>();
  const general: Issue[] = [];
  for (const i of issues) {
    if (i.node_id) byNode.set(i.node_id, [...(byNode.get(i.node_id) ?? []), i]);
    if (i.edge_id) byEdge.set(i.edge_id, [...(byEdge.get(i.edge_id) ?? []), i]);
    if (!i.node_id && !i.edge_id) general.push(i);
  }
  return { byNode, byEdge, general };
}

/** Duplicates nodes (and the edges among them) with fresh ids, offset on the canvas. */
export function duplicate(
  selected: FlowNode[],
  edges: FlowEdge[],
  offset = { x: 40, y: 40 },
): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const ids = new Map<string, string>();
  const nodes = selected.map((n) => {
    const id = newId(n.data.nodeType.split(".").pop() ?? "node");
    ids.set(n.id, id);
    return {
      ...n,
      id,
      selected: true,
      position: { x: n.position.x + offset.x, y: n.position.y + offset.y },
      data: { nodeType: n.data.nodeType, params: structuredClone(n.data.params) },
    };
  });
  const inner = edges
    .filter((e) => ids.has(e.source) && ids.has(e.target))
    .map((e) => ({ ...e, id: `${e.id}_copy_${ids.get(e.target)}`, source: ids.get(e.source)!, target: ids.get(e.target)!, selected: false }));
  return { nodes, edges: inner };
}

/** The dataset and target a template starts from (what the user picked). */
export interface TemplateChoice {
  datasetId?: unknown;
  target?: unknown;
}

export interface Template {
  id: string;
  name: string;
  description: string;
  build: (catalog: CatalogIndex, choice?: TemplateChoice) => { nodes: FlowNode[]; edges: FlowEdge[] };
}

function chain(
  catalog: CatalogIndex,
  layout: { key: string; type: string; x: number; y: number; params?: Record<string, unknown> }[],
  links: [string, string][],
  choice?: TemplateChoice,
) {
  const nodes: FlowNode[] = [];
  const ids = new Map<string, string>();
  for (const item of layout) {
    const spec = catalog.get(item.type);
    if (!spec) continue;
    const node = makeNode(spec, { x: item.x, y: item.y });
    node.data.params = { ...node.data.params, ...(item.params ?? {}) };
    if (item.type === "dataset" && choice) node.data.params = { ...node.data.params, dataset_id: choice.datasetId ?? null, target: choice.target ?? null };
    ids.set(item.key, node.id);
    nodes.push(node);
  }
  const edges: FlowEdge[] = [];
  for (const [a, b] of links) {
    const s = ids.get(a);
    const t = ids.get(b);
    if (s && t) edges.push(makeEdge({ source: s, target: t }, nodes, catalog));
  }
  return { nodes, edges };
}

export const TEMPLATES: Template[] = [
  {
    id: "automl",
    name: "Classify with AutoML",
    description: "Dataset → split → AutoML search → evaluate → plots.",
    build: (c, choice) =>
      chain(
        c,
        [
          { key: "d", type: "dataset", x: 0, y: 120 },
          { key: "s", type: "split", x: 260, y: 120 },
          { key: "a", type: "automl", x: 520, y: 120 },
          { key: "e", type: "evaluate", x: 780, y: 120 },
          { key: "v", type: "visualize", x: 1040, y: 120 },
        ],
        [
          ["d", "s"],
          ["s", "a"],
          ["a", "e"],
          ["e", "v"],
        ],
        choice,
      ),
  },
  {
    id: "compare",
    name: "Compare three models",
    description: "One split feeding logistic regression, random forest and gradient boosting, each evaluated and plotted.",
    build: (c, choice) =>
      chain(
        c,
        [
          { key: "d", type: "dataset", x: 0, y: 200 },
          { key: "i", type: "preprocess.impute", x: 240, y: 200 },
          { key: "o", type: "preprocess.one_hot", x: 480, y: 200 },
          { key: "s", type: "split", x: 720, y: 200 },
          { key: "m1", type: "model.logistic_regression", x: 980, y: 40 },
          { key: "m2", type: "model.random_forest", x: 980, y: 200 },
          { key: "m3", type: "model.hist_gradient_boosting", x: 980, y: 360 },
          { key: "e1", type: "evaluate", x: 1240, y: 40 },
          { key: "e2", type: "evaluate", x: 1240, y: 200 },
          { key: "e3", type: "evaluate", x: 1240, y: 360 },
          { key: "v1", type: "visualize", x: 1500, y: 40 },
          { key: "v2", type: "visualize", x: 1500, y: 200 },
          { key: "v3", type: "visualize", x: 1500, y: 360 },
        ],
        [
          ["d", "i"],
          ["i", "o"],
          ["o", "s"],
          ["s", "m1"],
          ["s", "m2"],
          ["s", "m3"],
          ["m1", "e1"],
          ["m2", "e2"],
          ["m3", "e3"],
          ["e1", "v1"],
          ["e2", "v2"],
          ["e3", "v3"],
        ],
        choice,
      ),
  },
];

export const CATEGORY_ORDER = ["data", "preprocess", "split", "model", "automl", "evaluate", "visualize"];
export const CATEGORY_LABELS: Record<string, string> = {
  data: "Data",
  preprocess: "Preprocess",
  split: "Split",
  model: "Models",
  automl: "AutoML",
  evaluate: "Evaluate",
  visualize: "Visualize",
};

export function groupByCategory(types: NodeTypeSpec[]): [string, NodeTypeSpec[]][] {
  const groups = new Map<string, NodeTypeSpec[]>();
  for (const t of types) groups.set(t.category, [...(groups.get(t.category) ?? []), t]);
  const rank = (c: string) => {
    const i = CATEGORY_ORDER.indexOf(c);
    return i === -1 ? CATEGORY_ORDER.length : i;
  };
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

/** Parses a form input into a param value of the spec's type (empty -> null). */
export function parseParamInput(spec: ParamSpec, raw: string): unknown {
  if (spec.type === "int" || spec.type === "float") {
    const t = raw.trim();
    if (t === "") return null;
    const n = Number(t);
    if (!Number.isFinite(n)) return raw;
    return spec.type === "int" && Number.isInteger(n) ? n : n;
  }
  if (spec.type === "column" || spec.type === "dataset" || spec.type === "choice") return raw === "" ? null : raw;
  return raw;
}

/** Stable JSON of a graph for "did anything change?" checks. */
export function graphKey(nodes: FlowNode[], edges: FlowEdge[]): string {
  return JSON.stringify(toApi(nodes, edges));
}

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
}

export function historyPush<T>(h: History<T>, next: T, limit = 100): History<T> {
  return { past: [...h.past, h.present].slice(-limit), present: next, future: [] };
}

export function historyUndo<T>(h: History<T>): History<T> {
  if (!h.past.length) return h;
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1], future: [h.present, ...h.future] };
}

export function historyRedo<T>(h: History<T>): History<T> {
  if (!h.future.length) return h;
  return { past: [...h.past, h.present], present: h.future[0], future: h.future.slice(1) };
}
