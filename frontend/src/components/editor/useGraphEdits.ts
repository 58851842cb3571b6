"use client";
import { useReactFlow, type Connection as RFConnection, type Edge, type FinalConnectionState } from "@xyflow/react";
import { useCallback } from "react";
import {
  addAfter,
  checkConnection,
  duplicate,
  insertOnEdge,
  makeEdge,
  makeNode,
  NODE_WIDTH,
  TEMPLATES,
  type CatalogIndex,
  type FlowNode,
} from "@/lib/graph";
import type { NodeTypeSpec } from "@/lib/types";
import { useToast } from "../Providers";
import type { useGraphHistory } from "./useGraphHistory";

type GraphHistory = ReturnType<typeof useGraphHistory>;

const deselect = (ns: FlowNode[]) => ns.map((x) => (x.selected ? { ...x, selected: false } : x));

/** Every edit the canvas offers, each one undo step: connect, add, insert, delete, duplicate, params, templates. */
export function useGraphEdits(history: GraphHistory, index: CatalogIndex, wrapper: React.RefObject<HTMLDivElement | null>) {
  const { change, current } = history;
  const rf = useReactFlow();
  const toast = useToast();

  const check = useCallback((c: RFConnection) => checkConnection(c, current().nodes, current().edges, index), [current, index]);

  const isValidConnection = useCallback((c: RFConnection | Edge) => check(c as RFConnection).ok, [check]);

  const onConnect = useCallback(
    (c: RFConnection) => {
      const res = check(c);
      if (!res.ok) {
        toast.show(res.reason, "error");
        return;
      }
      change((g) => ({ ...g, edges: [...g.edges, makeEdge(c, g.nodes, index)] }));
    },
    [check, change, index, toast],
  );

  /** A refused edge says why (the handle turned red while drawing). */
  const onConnectEnd = useCallback(
    (_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid !== false || !state.fromHandle || !state.toHandle) return;
      const [a, b] = state.fromHandle.type === "source" ? [state.fromHandle, state.toHandle] : [state.toHandle, state.fromHandle];
      const res = check({ source: a.nodeId, sourceHandle: a.id ?? null, target: b.nodeId, targetHandle: b.id ?? null });
      if (!res.ok) toast.show(`Cannot connect: ${res.reason}`, "error");
    },
    [check, toast],
  );

  /** Adds a step: after the one selected step (connected when the ports fit), else at the view's centre. */
  const addFromPalette = useCallback(
    (spec: NodeTypeSpec) => {
      const { nodes, edges } = current();
      const sel = nodes.filter((n) => n.selected);
      if (sel.length === 1) {
        const { node, edge } = addAfter(spec, sel[0], nodes, edges, index);
        node.selected = true;
        change((g) => ({ nodes: [...deselect(g.nodes), node], edges: edge ? [...g.edges, edge] : g.edges }));
        // a step placed past the edge of the view: fit the graph so it is seen
        const box = wrapper.current?.getBoundingClientRect();
        const far = box ? rf.screenToFlowPosition({ x: box.right, y: box.bottom }) : undefined;
        if (far && (node.position.x + NODE_WIDTH > far.x || node.position.y + 80 > far.y)) setTimeout(() => rf.fitView({ padding: 0.2, duration: 200, maxZoom: 1.1 }), 30);
        return;
      }
      const box = wrapper.current?.getBoundingClientRect();
      const center = box ? { x: box.left + box.width / 2, y: box.top + box.height / 2 } : { x: 400, y: 300 };
      const p = rf.screenToFlowPosition(center);
      const n = nodes.length;
      const node = makeNode(spec, { x: p.x - NODE_WIDTH / 2 + (n % 5) * 24, y: p.y - 30 + (n % 5) * 24 });
      node.selected = true;
      change((g) => ({ ...g, nodes: [...deselect(g.nodes), node] }));
    },
    [change, current, index, rf, wrapper],
  );

  /** Drops a step where the pointer is; on an edge it goes between the edge's ends when the ports fit. */
  const dropAt = useCallback(
    (spec: NodeTypeSpec, client: { x: number; y: number }) => {
      const p = rf.screenToFlowPosition(client);
      const node = makeNode(spec, { x: p.x - NODE_WIDTH / 2, y: p.y - 25 });
      node.selected = true;
      const edgeId = document
        .elementsFromPoint(client.x, client.y)
        .map((el) => el.closest(".react-flow__edge")?.getAttribute("data-id"))
        .find(Boolean);
      const { nodes, edges } = current();
      const onEdge = edgeId ? edges.find((e) => e.id === edgeId) : undefined;
      const inserted = onEdge ? insertOnEdge(onEdge, node, nodes, edges, index) : null;
      if (onEdge && !inserted) toast.show(`${spec.label} cannot go between those steps`, "error");
      change((g) => ({ nodes: [...deselect(g.nodes), node], edges: inserted ?? g.edges }));
    },
    [change, current, index, rf, toast],
  );

  const deleteSelected = useCallback(() => {
    change((g) => {
      const gone = new Set(g.nodes.filter((n) => n.selected).map((n) => n.id));
      const edges = g.edges.filter((e) => !(e.selected || gone.has(e.source) || gone.has(e.target)));
      if (!gone.size && edges.length === g.edges.length) return g;
      return { nodes: g.nodes.filter((n) => !gone.has(n.id)), edges };
    });
  }, [change]);

  const duplicateSelected = useCallback(() => {
    change((g) => {
      const sel = g.nodes.filter((n) => n.selected);
      if (!sel.length) return g;
      const copy = duplicate(sel, g.edges);
      return { nodes: [...g.nodes.map((n) => ({ ...n, selected: false })), ...copy.nodes], edges: [...g.edges, ...copy.edges] };
    });
  }, [change]);

  const setParam = useCallback(
    (nodeId: string, field: string, value: unknown) => {
      change(
        (g) => ({ ...g, nodes: g.nodes.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, params: { ...n.data.params, [field]: value } } } : n)) }),
        { coalesce: `${nodeId}:${field}` },
      );
    },
    [change],
  );

  const select = useCallback(
    (id: string) => {
      change((g) => ({ ...g, nodes: g.nodes.map((n) => ({ ...n, selected: n.id === id })) }), "silent");
      const n = current().nodes.find((x) => x.id === id);
      if (n) rf.setCenter(n.position.x + NODE_WIDTH / 2, n.position.y + 40, { zoom: rf.getZoom(), duration: 300 });
    },
    [change, current, rf],
  );

  const applyTemplate = useCallback(
    (id: string) => {
      const t = TEMPLATES.find((x) => x.id === id);
      if (!t) return;
      const ds = current().nodes.find((n) => n.data.nodeType === "dataset");
      const g = t.build(index, ds ? { datasetId: ds.data.params.dataset_id, target: ds.data.params.target } : undefined);
      change(() => g);
      setTimeout(() => rf.fitView({ padding: 0.2, duration: 300 }), 50);
    },
    [change, current, index, rf],
  );

  return { isValidConnection, onConnect, onConnectEnd, addFromPalette, dropAt, deleteSelected, duplicateSelected, setParam, select, applyTemplate };
}
