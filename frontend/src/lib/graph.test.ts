import { describe, expect, it } from "vitest";
import {
  addAfter,
  checkConnection,
  insertOnEdge,
  duplicate,
  fromApi,
  groupByCategory,
  groupIssues,
  historyPush,
  historyRedo,
  historyUndo,
  indexCatalog,
  makeEdge,
  makeNode,
  parseParamInput,
  TEMPLATES,
  toApi,
  upstreamDataset,
  type FlowEdge,
  type FlowNode,
} from "./graph";
import { apiBase, errorFromBody } from "./api";
import { paramLabel, portWants, valueLabel } from "./labels";
import type { ApiEdge, ApiNode, Catalog } from "./types";

const catalog: Catalog = {
  node_types: [
    {
      type: "dataset",
      category: "data",
      label: "Dataset",
      description: "",
      inputs: [],
      outputs: [{ name: "data", kind: "data" }],
      params: [
        { name: "dataset_id", type: "dataset", default: null, required: true },
        { name: "target", type: "column", default: null },
        { name: "task", type: "choice", default: "auto", choices: ["auto", "binary"] },
        { name: "features", type: "columns", default: [] },
      ],
    },
    {
      type: "split",
      category: "split",
      label: "Split",
      description: "",
      inputs: [{ name: "data", kind: "data" }],
      outputs: [{ name: "data", kind: "data" }],
      params: [{ name: "test_size", type: "float", default: 0.25, min: 0.05, max: 0.9 }],
    },
    {
      type: "model.random_forest",
      category: "model",
      label: "Random forest",
      description: "",
      inputs: [{ name: "data", kind: "data" }],
      outputs: [{ name: "model", kind: "model" }],
      params: [{ name: "n_estimators", type: "int", default: 100 }],
    },
    {
      type: "model.logistic_regression",
      category: "model",
      label: "Logistic regression",
      description: "",
      inputs: [{ name: "data", kind: "data" }],
      outputs: [{ name: "model", kind: "model" }],
    },
    {
      type: "model.hist_gradient_boosting",
      category: "model",
      label: "Gradient boosting",
      description: "",
      inputs: [{ name: "data", kind: "data" }],
      outputs: [{ name: "model", kind: "model" }],
    },
    { type: "preprocess.impute", category: "preprocess", label: "Impute", description: "", inputs: [{ name: "data", kind: "data" }], outputs: [{ name: "data", kind: "data" }] },
    { type: "preprocess.one_hot", category: "preprocess", label: "One-hot", description: "", inputs: [{ name: "data", kind: "data" }], outputs: [{ name: "data", kind: "data" }] },
    { type: "automl", category: "automl", label: "AutoML", description: "", inputs: [{ name: "data", kind: "data" }], outputs: [{ name: "model", kind: "model" }] },
    {
      type: "evaluate",
      category: "evaluate",
      label: "Evaluate",
      description: "",
      inputs: [{ name: "model", kind: "model" }],
      outputs: [{ name: "evaluation", kind: "evaluation" }],
    },
    {
      type: "visualize",
      category: "visualize",
      label: "Visualize",
      description: "",
      inputs: [{ name: "input", kind: "evaluation", accepts: ["evaluation", "model"], multiple: true }],
      outputs: [],
    },
  ],
};
const idx = indexCatalog(catalog);

const apiNodes: ApiNode[] = [
  { id: "d", type: "dataset", params: { dataset_id: "ds1", target: "survived" }, position: { x: 0, y: 10 } },
  { id: "s", type: "split", params: { test_size: 0.2 }, position: { x: 200, y: 10 } },
  { id: "m", type: "model.random_forest", params: {}, position: { x: 400, y: 10 } },
  { id: "e", type: "evaluate", params: {}, position: { x: 600, y: 10 } },
];
const apiEdges: ApiEdge[] = [
  { id: "e1", source: "d", target: "s", source_handle: "data", target_handle: "data" },
  { id: "e2", source: "s", target: "m" },
  { id: "e3", source: "m", target: "e", source_handle: "model", target_handle: "model" },
];

describe("graph <-> API mapping", () => {
  it("round-trips nodes and edges", () => {
    const flow = fromApi(apiNodes, apiEdges);
    expect(flow.nodes[0]).toMatchObject({ id: "d", type: "step", data: { nodeType: "dataset", params: { target: "survived" } } });
    expect(flow.edges[0]).toMatchObject({ sourceHandle: "data", targetHandle: "data" });
    expect(flow.edges[1]).toMatchObject({ sourceHandle: null, targetHandle: null });
    const back = toApi(flow.nodes, flow.edges);
    expect(back.nodes).toEqual(apiNodes);
    expect(back.edges).toEqual(apiEdges);
  });

  it("uses snake_case handles and omits missing ones", () => {
    const out = toApi([], [{ id: "x", source: "a", target: "b", sourceHandle: "model", targetHandle: null }]);
    expect(out.edges).toEqual([{ id: "x", source: "a", target: "b", source_handle: "model" }]);
  });

  it("drops React Flow bookkeeping and undefined params, rounds positions", () => {
    const node: FlowNode = {
      id: "n",
      type: "step",
      position: { x: 10.123, y: 5.55 },
      selected: true,
      measured: { width: 10 },
      data: { nodeType: "split", params: { a: 1, b: undefined }, issues: [{ code: "x", message: "y" }] },
    };
    expect(toApi([node], []).nodes[0]).toEqual({ id: "n", type: "split", params: { a: 1 }, position: { x: 10.1, y: 5.6 } });
  });

  it("does not share params between the API object and the canvas node", () => {
    const flow = fromApi(apiNodes, []);
    flow.nodes[0].data.params.target = "other";
    expect(apiNodes[0].params.target).toBe("survived");
  });

  it("fills defaults from the catalog for new nodes", () => {
    const n = makeNode(idx.get("dataset")!, { x: 1, y: 2 });
    expect(n.data.params).toEqual({ dataset_id: null, target: null, task: "auto", features: [] });
    expect(n.id).toMatch(/^dataset_/);
  });
});

describe("typed connections", () => {
  const flow = fromApi(apiNodes, []);
  const more = [...flow.nodes, makeNode(idx.get("visualize")!, { x: 0, y: 0 }, "v"), makeNode(idx.get("split")!, { x: 0, y: 0 }, "s2")];

  it("accepts matching kinds", () => {
    expect(checkConnection({ source: "d", target: "s" }, more, [], idx)).toEqual({ ok: true });
    expect(checkConnection({ source: "m", target: "e", sourceHandle: "model", targetHandle: "model" }, more, [], idx).ok).toBe(true);
  });

  it("honours `accepts` lists", () => {
    expect(checkConnection({ source: "m", target: "v" }, more, [], idx).ok).toBe(true);
    expect(checkConnection({ source: "e", target: "v" }, more, [], idx).ok).toBe(true);
  });

  it("refuses incompatible kinds", () => {
    const r = checkConnection({ source: "d", target: "e" }, more, [], idx);
    expect(r).toEqual({ ok: false, reason: "Evaluate takes a model, not a data source" });
    expect(checkConnection({ source: "m", target: "s2" }, more, [], idx).ok).toBe(false);
    expect(checkConnection({ source: "d", target: "v" }, more, [], idx).ok).toBe(false);
  });

  it("refuses self loops, unknown handles, a second input and cycles", () => {
    expect(checkConnection({ source: "s", target: "s" }, more, [], idx).ok).toBe(false);
    expect(checkConnection({ source: "d", target: "s", sourceHandle: "nope" }, more, [], idx).ok).toBe(false);
    const edges: FlowEdge[] = [{ id: "1", source: "d", target: "s", sourceHandle: null, targetHandle: null }];
    expect(checkConnection({ source: "s2", target: "s", targetHandle: "data" }, more, edges, idx).ok).toBe(false);
    const chainEdges: FlowEdge[] = [{ id: "1", source: "s", target: "s2" }];
    expect(checkConnection({ source: "s2", target: "s" }, more, chainEdges, idx)).toEqual({ ok: false, reason: "that edge would make a cycle" });
  });

  it("names handles on new edges", () => {
    const e = makeEdge({ source: "d", target: "s" }, more, idx);
    expect(e).toMatchObject({ source: "d", target: "s", sourceHandle: "data", targetHandle: "data" });
  });
});

describe("helpers", () => {
  it("finds the upstream dataset", () => {
    const flow = fromApi(apiNodes, apiEdges);
    expect(upstreamDataset("e", flow.nodes, flow.edges)?.id).toBe("d");
    expect(upstreamDataset("d", flow.nodes, flow.edges)?.id).toBe("d");
    expect(upstreamDataset("m", flow.nodes, [])).toBeUndefined();
  });

  it("groups issues by node and edge", () => {
    const g = groupIssues([
      { code: "missing_target", message: "m", node_id: "d", field: "target" },
      { code: "port_mismatch", message: "p", node_id: "e", edge_id: "e9" },
      { code: "nothing_to_run", message: "n" },
    ]);
    expect(g.byNode.get("d")?.[0].code).toBe("missing_target");
    expect(g.byEdge.get("e9")?.length).toBe(1);
    expect(g.general.map((i) => i.code)).toEqual(["nothing_to_run"]);
  });

  it("duplicates nodes with fresh ids and keeps inner edges", () => {
    const flow = fromApi(apiNodes, apiEdges);
    const copy = duplicate(flow.nodes.slice(0, 2), flow.edges);
    expect(copy.nodes).toHaveLength(2);
    expect(copy.nodes[0].id).not.toBe("d");
    expect(copy.nodes[0].position).toEqual({ x: 40, y: 50 });
    expect(copy.edges).toHaveLength(1);
    expect(copy.edges[0].source).toBe(copy.nodes[0].id);
    copy.nodes[0].data.params.target = "x";
    expect(flow.nodes[0].data.params.target).toBe("survived");
  });

  it("builds templates that are connected end to end", () => {
    for (const t of TEMPLATES) {
      const g = t.build(idx);
      expect(g.nodes.length).toBeGreaterThan(3);
      expect(g.edges.length).toBe(g.nodes.length - 1);
      for (const e of g.edges) {
        const others = g.edges.filter((x) => x !== e);
        expect(checkConnection({ source: e.source, target: e.target, sourceHandle: e.sourceHandle, targetHandle: e.targetHandle }, g.nodes, others, idx).ok).toBe(true);
      }
      const api = toApi(g.nodes, g.edges);
      expect(new Set(api.nodes.map((n) => n.id)).size).toBe(api.nodes.length);
    }
    const compare = TEMPLATES.find((t) => t.id === "compare")!.build(idx);
    expect(compare.nodes.filter((n) => n.data.nodeType.startsWith("model.")).length).toBe(3);
  });

  it("groups the palette by category in pipeline order", () => {
    expect(groupByCategory(catalog.node_types).map(([c]) => c)).toEqual(["data", "preprocess", "split", "model", "automl", "evaluate", "visualize"]);
  });

  it("parses param inputs by type", () => {
    expect(parseParamInput({ name: "n", type: "int" }, "12")).toBe(12);
    expect(parseParamInput({ name: "n", type: "int" }, "")).toBeNull();
    expect(parseParamInput({ name: "f", type: "float" }, "0.5")).toBe(0.5);
    expect(parseParamInput({ name: "c", type: "column" }, "")).toBeNull();
    expect(parseParamInput({ name: "s", type: "string" }, "")).toBe("");
  });

  it("undo/redo history", () => {
    let h = { past: [] as number[], present: 0, future: [] as number[] };
    h = historyPush(h, 1);
    h = historyPush(h, 2);
    h = historyUndo(h);
    expect(h.present).toBe(1);
    h = historyRedo(h);
    expect(h.present).toBe(2);
    h = historyUndo(historyUndo(h));
    expect(h.present).toBe(0);
    expect(historyUndo(h)).toBe(h);
    h = historyPush(h, 5);
    expect(h.future).toEqual([]);
  });
});

describe("api helpers", () => {
  it("derives the API base", () => {
    expect(apiBase(undefined)).toBe("/api");
    expect(apiBase("")).toBe("/api");
    expect(apiBase("https://api.example.com/")).toBe("https://api.example.com/api");
    expect(apiBase("https://api.example.com/api")).toBe("https://api.example.com/api");
  });

  it("reads the error contract", () => {
    const e = errorFromBody(422, { status_code: 422, detail: "invalid workflow", extra: { issues: [{ code: "cycle", message: "c", node_id: "a" }] } });
    expect(e.detail).toBe("invalid workflow");
    expect(e.issues[0].node_id).toBe("a");
    expect(errorFromBody(500, undefined).detail).toContain("500");
  });
});

describe("building the graph fast", () => {
  const at = (type: string, id: string, x = 0, y = 0) => makeNode(idx.get(type)!, { x, y }, id);

  it("adds a step to the right of the selected one and connects it when the ports fit", () => {
    const d = at("dataset", "d", 100, 50);
    const { node, edge } = addAfter(idx.get("split")!, d, [d], [], idx);
    expect(node.position.x).toBeGreaterThan(d.position.x + 150);
    expect(node.position.y).toBe(50);
    expect(edge).toMatchObject({ source: "d", sourceHandle: "data", target: node.id, targetHandle: "data" });
  });

  it("adds without an edge when no port fits, and below a step already to the right", () => {
    const d = at("dataset", "d", 0, 0);
    const taken = at("split", "s", 260, 0);
    const { node, edge } = addAfter(idx.get("evaluate")!, d, [d, taken], [], idx);
    expect(edge).toBeNull();
    expect(node.position.x).toBe(260);
    expect(node.position.y).toBeGreaterThan(80);
  });

  it("drops a step on an edge: source -> step -> target", () => {
    const d = at("dataset", "d");
    const m = at("model.random_forest", "m");
    const e1 = makeEdge({ source: "d", target: "m" }, [d, m], idx);
    const s = at("split", "s");
    const out = insertOnEdge(e1, s, [d, m], [e1], idx)!;
    expect(out.map((e) => [e.source, e.target])).toEqual([
      ["d", "s"],
      ["s", "m"],
    ]);
    expect(out.some((e) => e.id === e1.id)).toBe(false);
  });

  it("refuses to insert a step that cannot sit between the edge's ends", () => {
    const d = at("dataset", "d");
    const s = at("split", "s");
    const e1 = makeEdge({ source: "d", target: "s" }, [d, s], idx);
    expect(insertOnEdge(e1, at("evaluate", "ev"), [d, s], [e1], idx)).toBeNull();
    expect(insertOnEdge(e1, at("model.random_forest", "m"), [d, s], [e1], idx)).toBeNull();
  });

  it("lets a multi-input port take several models, but each model once", () => {
    const m1 = at("model.random_forest", "m1");
    const m2 = at("model.logistic_regression", "m2");
    const v = at("visualize", "v");
    const nodes = [m1, m2, v];
    const first = makeEdge({ source: "m1", target: "v" }, nodes, idx);
    expect(checkConnection({ source: "m2", target: "v" }, nodes, [first], idx)).toEqual({ ok: true });
    expect(checkConnection({ source: "m1", target: "v" }, nodes, [first], idx).ok).toBe(false);
    // a single-input port still refuses a second edge
    const ev = at("evaluate", "ev");
    const toEv = makeEdge({ source: "m1", target: "ev" }, [...nodes, ev], idx);
    expect(checkConnection({ source: "m2", target: "ev" }, [...nodes, ev], [toEv], idx).ok).toBe(false);
  });

  it("templates start from the dataset and target the user picked", () => {
    for (const t of TEMPLATES) {
      const g = t.build(idx, { datasetId: "ds9", target: "price" });
      const ds = g.nodes.find((n) => n.data.nodeType === "dataset")!;
      expect(ds.data.params).toMatchObject({ dataset_id: "ds9", target: "price" });
    }
  });
});

describe("plain words", () => {
  it("names parameters, values and what a port wants as people do", () => {
    expect(paramLabel("min_samples_leaf")).toBe("Min samples leaf");
    expect(paramLabel("n_estimators")).toBe("Trees");
    const plots = { name: "plots", type: "multichoice" as const, choice_labels: { roc_curve: "ROC curve", pr_curve: "Precision-recall curve" } };
    expect(valueLabel(plots, ["roc_curve", "pr_curve"])).toBe("ROC curve, Precision-recall curve");
    expect(valueLabel(undefined, null)).toBe("—");
    expect(valueLabel(undefined, true)).toBe("on");
    const input = { name: "input", kind: "evaluation" as const, accepts: ["evaluation" as const, "model" as const] };
    expect(portWants(input)).toBe("an Evaluate step or a model");
  });

  it("refused connections say what the step takes, never a port name", () => {
    const d1 = makeNode(idx.get("dataset")!, { x: 0, y: 0 }, "d1");
    const d2 = makeNode(idx.get("dataset")!, { x: 0, y: 0 }, "d2");
    const s = makeNode(idx.get("split")!, { x: 0, y: 0 }, "s");
    const first = makeEdge({ source: "d1", target: "s" }, [d1, d2, s], idx);
    expect(checkConnection({ source: "d2", target: "s" }, [d1, d2, s], [first], idx)).toEqual({ ok: false, reason: "Split already has a data source connected" });
  });
});
