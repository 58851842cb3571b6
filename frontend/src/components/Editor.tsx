"use client";
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  type Connection as RFConnection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type Node,
  type NodeChange,
} from "@xyflow/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, ApiError } from "@/lib/api";
import {
  CATEGORY_LABELS,
  checkConnection,
  duplicate,
  fromApi,
  graphKey,
  groupByCategory,
  groupIssues,
  indexCatalog,
  makeEdge,
  makeNode,
  TEMPLATES,
  upstreamDataset,
  type FlowEdge,
  type FlowNode,
} from "@/lib/graph";
import type { Catalog, Dataset, Issue, NodeTypeSpec, Run, ValidationResult, Workflow } from "@/lib/types";
import { CopyIcon, FitIcon, RedoIcon, TrashIcon, UndoIcon } from "./icons";
import { ParamForm } from "./ParamForm";
import { CanvasContext, CATEGORY_COLORS, StepNode } from "./StepNode";
import { errorText, useToast } from "./Providers";

const NODE_TYPES = { step: StepNode };
const DND_TYPE = "application/x-automl-node";

type SaveState = "saved" | "dirty" | "saving" | "error" | "conflict";
interface Snapshot {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

function isTyping(target: EventTarget | null) {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
}

function Palette({ catalog, onAdd }: { catalog: Catalog; onAdd: (spec: NodeTypeSpec) => void }) {
  const [filter, setFilter] = useState("");
  const groups = groupByCategory(
    catalog.node_types.filter((t) => !filter || `${t.label} ${t.type} ${t.description}`.toLowerCase().includes(filter.toLowerCase())),
  );
  return (
    <aside className="palette" aria-label="Node palette" data-testid="palette">
      <input className="input" placeholder="Search steps…" aria-label="Search steps" value={filter} onChange={(e) => setFilter(e.target.value)} />
      {groups.map(([cat, types]) => (
        <section key={cat} aria-label={CATEGORY_LABELS[cat] ?? cat}>
          <h3>{CATEGORY_LABELS[cat] ?? cat}</h3>
          {types.map((t) => (
            <button
              key={t.type}
              type="button"
              className="palette-item"
              draggable
              title={`${t.description} (click or drag to add)`}
              aria-label={`Add ${t.label}`}
              data-testid={`palette-${t.type}`}
              onDragStart={(e) => {
                e.dataTransfer.setData(DND_TYPE, t.type);
                e.dataTransfer.setData("text/plain", t.type);
                e.dataTransfer.effectAllowed = "move";
              }}
              onClick={() => onAdd(t)}
            >
              <span className="swatch" style={{ background: CATEGORY_COLORS[t.category] ?? "#98a2b3" }} />
              {t.label}
            </button>
          ))}
        </section>
      ))}
    </aside>
  );
}

function Canvas({ workflow, catalog, datasets }: { workflow: Workflow; catalog: Catalog; datasets: Dataset[] }) {
  const router = useRouter();
  const toast = useToast();
  const rf = useReactFlow();
  const index = useMemo(() => indexCatalog(catalog), [catalog]);
  const datasetMap = useMemo(() => new Map(datasets.map((d) => [d.id, d])), [datasets]);
  const initial = useMemo(() => fromApi(workflow.nodes ?? [], workflow.edges ?? []), [workflow]);

  const [nodes, setNodes] = useState<FlowNode[]>(initial.nodes);
  const [edges, setEdges] = useState<FlowEdge[]>(initial.edges);
  const [name, setName] = useState(workflow.name);
  const [description, setDescription] = useState(workflow.description ?? "");
  const [issues, setIssues] = useState<Issue[]>([]);
  const [validating, setValidating] = useState<"idle" | "checking" | "error">("idle");
  const [save, setSave] = useState<SaveState>("saved");
  const [running, setRunning] = useState(false);
  const past = useRef<Snapshot[]>([]);
  const future = useRef<Snapshot[]>([]);
  const [, setHistoryTick] = useState(0);
  const lastRecord = useRef<{ key: string; at: number } | null>(null);
  const stateRef = useRef({ nodes, edges, name, description });
  stateRef.current = { nodes, edges, name, description };
  const wrapper = useRef<HTMLDivElement>(null);

  // --- history -----------------------------------------------------------------------------
  const record = useCallback((coalesceKey?: string) => {
    const now = Date.now();
    if (coalesceKey && lastRecord.current?.key === coalesceKey && now - lastRecord.current.at < 1500) {
      lastRecord.current.at = now;
      return;
    }
    lastRecord.current = coalesceKey ? { key: coalesceKey, at: now } : null;
    const { nodes: n, edges: e } = stateRef.current;
    past.current = [...past.current, { nodes: n, edges: e }].slice(-100);
    future.current = [];
    setHistoryTick((t) => t + 1);
  }, []);

  const undo = useCallback(() => {
    const prev = past.current.pop();
    if (!prev) return;
    future.current = [{ nodes: stateRef.current.nodes, edges: stateRef.current.edges }, ...future.current];
    lastRecord.current = null;
    setNodes(prev.nodes);
    setEdges(prev.edges);
    setHistoryTick((t) => t + 1);
  }, []);

  const redo = useCallback(() => {
    const next = future.current.shift();
    if (!next) return;
    past.current = [...past.current, { nodes: stateRef.current.nodes, edges: stateRef.current.edges }];
    lastRecord.current = null;
    setNodes(next.nodes);
    setEdges(next.edges);
    setHistoryTick((t) => t + 1);
  }, []);

  // --- graph edits -------------------------------------------------------------------------
  const onNodesChange = useCallback((changes: NodeChange[]) => {
    setNodes((ns) => applyNodeChanges(changes, ns as Node[]) as FlowNode[]);
  }, []);
  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    setEdges((es) => applyEdgeChanges(changes, es as Edge[]) as FlowEdge[]);
  }, []);

  const isValidConnection = useCallback(
    (c: RFConnection | Edge) => checkConnection(c, stateRef.current.nodes, stateRef.current.edges, index).ok,
    [index],
  );

  const onConnect = useCallback(
    (c: RFConnection) => {
      const check = checkConnection(c, stateRef.current.nodes, stateRef.current.edges, index);
      if (!check.ok) {
        toast.show(check.reason, "error");
        return;
      }
      record();
      setEdges((es) => [...es, makeEdge(c, stateRef.current.nodes, index)]);
    },
    [index, record, toast],
  );

  /** A refused edge says why (the handle turned red while drawing). */
  const onConnectEnd = useCallback(
    (_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid !== false || !state.fromHandle || !state.toHandle) return;
      const [a, b] = state.fromHandle.type === "source" ? [state.fromHandle, state.toHandle] : [state.toHandle, state.fromHandle];
      const check = checkConnection(
        { source: a.nodeId, sourceHandle: a.id ?? null, target: b.nodeId, targetHandle: b.id ?? null },
        stateRef.current.nodes,
        stateRef.current.edges,
        index,
      );
      if (!check.ok) toast.show(`Cannot connect: ${check.reason}`, "error");
    },
    [index, toast],
  );

  const addNode = useCallback(
    (spec: NodeTypeSpec, position?: { x: number; y: number }) => {
      let pos = position;
      if (!pos) {
        const box = wrapper.current?.getBoundingClientRect();
        const center = box ? { x: box.left + box.width / 2, y: box.top + box.height / 2 } : { x: 400, y: 300 };
        pos = rf.screenToFlowPosition(center);
        const n = stateRef.current.nodes.length;
        pos = { x: pos.x - 95 + (n % 5) * 24, y: pos.y - 30 + (n % 5) * 24 };
      }
      record();
      const node = makeNode(spec, pos);
      node.selected = true;
      setNodes((ns) => [...ns.map((x) => (x.selected ? { ...x, selected: false } : x)), node]);
      return node;
    },
    [rf, record],
  );

  const onDrop = useCallback(
    (e: React.DragEvent) => {
      e.preventDefault();
      const type = e.dataTransfer.getData(DND_TYPE) || e.dataTransfer.getData("text/plain");
      const spec = index.get(type);
      if (!spec) return;
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addNode(spec, { x: p.x - 95, y: p.y - 25 });
    },
    [index, rf, addNode],
  );

  const deleteSelected = useCallback(() => {
    const { nodes: ns, edges: es } = stateRef.current;
    const gone = new Set(ns.filter((n) => n.selected).map((n) => n.id));
    const edgeGone = es.filter((e) => e.selected || gone.has(e.source) || gone.has(e.target));
    if (!gone.size && !edgeGone.length) return;
    record();
    setNodes(ns.filter((n) => !gone.has(n.id)));
    setEdges(es.filter((e) => !edgeGone.includes(e)));
  }, [record]);

  const duplicateSelected = useCallback(() => {
    const { nodes: ns, edges: es } = stateRef.current;
    const sel = ns.filter((n) => n.selected);
    if (!sel.length) return;
    record();
    const copy = duplicate(sel, es);
    setNodes([...ns.map((n) => ({ ...n, selected: false })), ...copy.nodes]);
    setEdges([...es, ...copy.edges]);
  }, [record]);

  const setParam = useCallback(
    (nodeId: string, field: string, value: unknown) => {
      record(`${nodeId}:${field}`);
      setNodes((ns) => ns.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, params: { ...n.data.params, [field]: value } } } : n)));
    },
    [record],
  );

  const applyTemplate = useCallback(
    (id: string) => {
      const t = TEMPLATES.find((x) => x.id === id);
      if (!t) return;
      record();
      const g = t.build(index);
      // keep the chosen dataset if there is one
      const ds = stateRef.current.nodes.find((n) => n.data.nodeType === "dataset");
      const dsNode = g.nodes.find((n) => n.data.nodeType === "dataset");
      if (ds && dsNode) dsNode.data.params = { ...dsNode.data.params, dataset_id: ds.data.params.dataset_id, target: ds.data.params.target };
      setNodes(g.nodes);
      setEdges(g.edges);
      setTimeout(() => rf.fitView({ padding: 0.2, duration: 300 }), 50);
    },
    [index, record, rf],
  );

  // --- validation (debounced) ----------------------------------------------------------------
  const key = useMemo(() => graphKey(nodes, edges), [nodes, edges]);
  useEffect(() => {
    const ctrl = new AbortController();
    setValidating("checking");
    const t = setTimeout(async () => {
      try {
        const graph = JSON.parse(key);
        const res = await api<ValidationResult>("/workflows/validate", { body: graph, signal: ctrl.signal });
        setIssues(res.issues ?? []);
        setValidating("idle");
      } catch (e) {
        if ((e as Error).name === "AbortError") return;
        if (e instanceof ApiError && e.issues.length) {
          setIssues(e.issues);
          setValidating("idle");
        } else setValidating("error");
      }
    }, 350);
    return () => {
      clearTimeout(t);
      ctrl.abort();
    };
  }, [key]);

  // --- autosave (optimistic concurrency) -------------------------------------------------------
  const saved = useRef({ key: graphKey(initial.nodes, initial.edges), name: workflow.name, description: workflow.description ?? "" });
  const stamp = useRef({ updated_at: workflow.updated_at, version: workflow.version });
  const chain = useRef<Promise<boolean>>(Promise.resolve(true));
  const conflict = useRef(false);

  /** One save at a time, each reading the latest state and stamp when it starts (no stale 409s). */
  const saveOnce = useCallback(async (): Promise<boolean> => {
    if (conflict.current) return false;
    const { nodes: n, edges: e, name: nm, description: desc } = stateRef.current;
    const k = graphKey(n, e);
    if (k === saved.current.key && nm === saved.current.name && desc === saved.current.description) {
      setSave("saved");
      return true;
    }
    setSave("saving");
    try {
      const body: Record<string, unknown> = { name: nm.trim() || "Untitled workflow", description: desc, ...JSON.parse(k), updated_at: stamp.current.updated_at };
      if (stamp.current.version !== undefined) body.version = stamp.current.version;
      const w = await api<Workflow>(`/workflows/${workflow.id}`, { method: "PUT", body });
      stamp.current = { updated_at: w.updated_at, version: w.version };
      saved.current = { key: k, name: nm, description: desc };
      const now = stateRef.current;
      setSave(graphKey(now.nodes, now.edges) === k && now.name === nm && now.description === desc ? "saved" : "dirty");
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        conflict.current = true;
        setSave("conflict");
        toast.show("This workflow changed elsewhere. Reload to get the latest version.", "error");
      } else {
        setSave("error");
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

  useEffect(() => {
    if (conflict.current) return;
    if (key === saved.current.key && name === saved.current.name && description === saved.current.description) return;
    setSave((s) => (s === "saving" ? s : "dirty"));
    const t = setTimeout(() => void saveNow(), 800);
    return () => clearTimeout(t);
  }, [key, name, description, saveNow]);

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      const { nodes: n, edges: ed, name: nm } = stateRef.current;
      if (graphKey(n, ed) !== saved.current.key || nm !== saved.current.name) e.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, []);

  // --- run ---------------------------------------------------------------------------------
  const run = useCallback(async () => {
    setRunning(true);
    try {
      if (!(await saveNow())) return;
      const r = await api<Run>(`/workflows/${workflow.id}/execute`, { method: "POST" });
      router.push(`/runs/view/?id=${r.id}`);
    } catch (e) {
      if (e instanceof ApiError && e.issues.length) setIssues(e.issues);
      toast.error(e, "Cannot run");
    } finally {
      setRunning(false);
    }
  }, [saveNow, workflow.id, router, toast]);

  // --- keyboard ----------------------------------------------------------------------------
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return;
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (mod && k === "z" && !e.shiftKey) {
        e.preventDefault();
        undo();
      } else if (mod && (k === "y" || (k === "z" && e.shiftKey))) {
        e.preventDefault();
        redo();
      } else if (mod && k === "d") {
        e.preventDefault();
        duplicateSelected();
      } else if (mod && k === "s") {
        e.preventDefault();
        void saveNow();
      } else if (mod && k === "enter") {
        e.preventDefault();
        void run();
      } else if (!mod && (e.key === "Delete" || e.key === "Backspace")) {
        e.preventDefault();
        deleteSelected();
      } else if (!mod && k === "f") {
        rf.fitView({ padding: 0.2, duration: 300 });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo, redo, duplicateSelected, deleteSelected, saveNow, run, rf]);

  // --- derived -----------------------------------------------------------------------------
  const grouped = useMemo(() => groupIssues(issues), [issues]);
  const displayNodes = useMemo(
    () =>
      nodes.map((n) => {
        const own = grouped.byNode.get(n.id);
        return own || n.data.issues ? { ...n, data: { ...n.data, issues: own } } : n;
      }) as Node[],
    [nodes, grouped],
  );
  const displayEdges = useMemo(
    () => edges.map((e) => (grouped.byEdge.has(e.id) ? { ...e, className: "invalid", animated: false } : e)) as Edge[],
    [edges, grouped],
  );
  const selected = nodes.filter((n) => n.selected);
  const one = selected.length === 1 ? selected[0] : undefined;
  const oneSpec = one ? index.get(one.data.nodeType) : undefined;
  const valid = validating !== "error" && issues.length === 0;
  const info = useMemo(() => ({ catalog: index, datasets: datasetMap }), [index, datasetMap]);

  const saveLabel: Record<SaveState, string> = {
    saved: "All changes saved",
    dirty: "Unsaved changes",
    saving: "Saving…",
    error: "Save failed",
    conflict: "Changed elsewhere",
  };

  function focusNode(id: string) {
    setNodes((ns) => ns.map((n) => ({ ...n, selected: n.id === id })));
    const n = stateRef.current.nodes.find((x) => x.id === id);
    if (n) rf.setCenter(n.position.x + 95, n.position.y + 40, { zoom: rf.getZoom(), duration: 300 });
  }

  return (
    <CanvasContext.Provider value={info}>
      <div className="editor">
        <Palette catalog={catalog} onAdd={(s) => addNode(s)} />
        <div className="editor-main">
          <div className="editor-toolbar" role="toolbar" aria-label="Workflow actions">
            <Link href="/workflows/" className="btn ghost sm" aria-label="Back to workflows">
              ←
            </Link>
            <input className="input name-input" style={{ flex: "0 1 240px", minWidth: 120 }} aria-label="Workflow name" value={name} onChange={(e) => setName(e.target.value)} data-testid="workflow-name" />
            <span className={`save-state ${save === "error" || save === "conflict" ? "error" : ""}`} data-testid="save-state" data-state={save} aria-live="polite">
              {saveLabel[save]}
            </span>
            {save === "conflict" && (
              <button className="btn sm" onClick={() => window.location.reload()}>
                Reload
              </button>
            )}
            <span className="spacer" />
            <div className="btn-group">
              <button className="btn sm icon" onClick={undo} disabled={!past.current.length} aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)" data-testid="undo">
                <UndoIcon />
              </button>
              <button className="btn sm icon" onClick={redo} disabled={!future.current.length} aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)" data-testid="redo">
                <RedoIcon />
              </button>
              <button className="btn sm icon" onClick={duplicateSelected} disabled={!selected.length} title="Duplicate (Ctrl+D)" aria-label="Duplicate selected (Ctrl+D)">
                <CopyIcon />
              </button>
              <button className="btn sm icon" onClick={deleteSelected} disabled={!selected.length && !edges.some((e) => e.selected)} title="Delete (Del)" aria-label="Delete selected (Delete)" data-testid="delete-selected">
                <TrashIcon />
              </button>
              <button className="btn sm icon" onClick={() => rf.fitView({ padding: 0.2, duration: 300 })} title="Fit view (F)" aria-label="Fit view (F)">
                <FitIcon />
              </button>
              <select
                className="input"
                style={{ height: 28, width: 110, fontSize: 13 }}
                aria-label="Apply a template"
                value=""
                onChange={(e) => e.target.value && applyTemplate(e.target.value)}
              >
                <option value="">Template…</option>
                {TEMPLATES.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            </div>
            <Link className="btn sm" href={`/workflows/runs/?id=${workflow.id}`}>
              Runs
            </Link>
            <button className="btn primary" onClick={run} disabled={running || !nodes.length} data-testid="run-workflow" title="Run (Ctrl+Enter)">
              {running ? "Starting…" : "▶ Run"}
            </button>
          </div>
          <div className="canvas" ref={wrapper} data-testid="canvas">
            <ReactFlow
              nodes={displayNodes}
              edges={displayEdges}
              nodeTypes={NODE_TYPES}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onConnectEnd={onConnectEnd}
              isValidConnection={isValidConnection}
              onNodeDragStart={() => record()}
              onDragOver={(e) => {
                e.preventDefault();
                e.dataTransfer.dropEffect = "move";
              }}
              onDrop={onDrop}
              deleteKeyCode={null}
              fitView={initial.nodes.length > 0}
              fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
              defaultEdgeOptions={{ type: "smoothstep" }}
              proOptions={{ hideAttribution: true }}
              minZoom={0.2}
            >
              <Background gap={20} color="#dfe3ea" />
              <Controls showInteractive={false} />
              <MiniMap pannable zoomable style={{ width: 160, height: 100 }} />
            </ReactFlow>
            {!nodes.length && (
              <div className="canvas-hint" data-testid="canvas-empty">
                <div style={{ fontSize: 28 }}>⇢</div>
                <strong>Drag steps here from the palette</strong>
                <div className="small">or click one to add it, or pick a template above</div>
              </div>
            )}
            <div className="valid-pill">
              {validating === "error" ? (
                <span className="badge cancelled">validation unavailable</span>
              ) : valid ? (
                <span className="badge succeeded" data-testid="validation-ok">
                  ✓ valid
                </span>
              ) : (
                <span className="badge failed" data-testid="validation-issues">
                  {issues.length} problem{issues.length === 1 ? "" : "s"}
                </span>
              )}
            </div>
          </div>
        </div>
        <aside className="sidepanel" aria-label="Inspector" data-testid="inspector">
          {one && oneSpec ? (
            <>
              <div>
                <div className="row">
                  <span className="swatch" style={{ width: 10, height: 10, borderRadius: 3, background: CATEGORY_COLORS[oneSpec.category] }} />
                  <h2 style={{ margin: 0 }}>{oneSpec.label}</h2>
                </div>
                <div className="muted small" style={{ marginTop: 4 }}>
                  {oneSpec.description}
                </div>
                <div className="muted small mono" style={{ marginTop: 4 }}>
                  {one.id}
                </div>
              </div>
              {(grouped.byNode.get(one.id) ?? []).length > 0 && (
                <ul className="issues-list" data-testid="node-issues" aria-label="Problems with this step">
                  {(grouped.byNode.get(one.id) ?? []).map((i, k) => (
                    <li key={k} data-code={i.code}>
                      {i.message}
                    </li>
                  ))}
                </ul>
              )}
              <ParamForm
                spec={oneSpec}
                nodeId={one.id}
                params={one.data.params}
                issues={grouped.byNode.get(one.id) ?? []}
                datasets={datasets}
                columnsFrom={(() => {
                  const up = upstreamDataset(one.id, nodes, edges);
                  const id = up?.data.params.dataset_id;
                  return typeof id === "string" ? datasetMap.get(id) : undefined;
                })()}
                onChange={(f, v) => setParam(one.id, f, v)}
              />
              <div className="row">
                <button className="btn sm" onClick={duplicateSelected}>
                  Duplicate
                </button>
                <button className="btn sm danger" onClick={deleteSelected} data-testid="delete-node">
                  Delete step
                </button>
              </div>
            </>
          ) : (
            <>
              <div>
                <h2>Workflow</h2>
                <label className="field">
                  Description
                  <textarea className="input" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
                </label>
              </div>
              {issues.length > 0 ? (
                <div>
                  <h3>Problems</h3>
                  <ul className="issues-list" data-testid="all-issues">
                    {issues.map((i, k) => (
                      <li key={k} data-code={i.code}>
                        {i.node_id ? (
                          <button onClick={() => focusNode(i.node_id!)}>
                            <strong>{index.get(nodes.find((n) => n.id === i.node_id)?.data.nodeType ?? "")?.label ?? i.node_id}:</strong> {i.message}
                          </button>
                        ) : (
                          i.message
                        )}
                      </li>
                    ))}
                  </ul>
                </div>
              ) : (
                nodes.length > 0 && validating !== "error" && <div className="muted small">No problems found. Press Run when ready.</div>
              )}
              {!datasets.length && (
                <div className="card" style={{ background: "var(--warning-soft)", borderColor: "#fedf89" }}>
                  No datasets yet. <Link href="/datasets/">Upload one</Link> to use it here.
                </div>
              )}
              <div>
                <h3>Shortcuts</h3>
                <dl className="kv small" style={{ gridTemplateColumns: "110px 1fr" }}>
                  <dt>Click / drag</dt>
                  <dd>add a step from the palette</dd>
                  <dt>Del</dt>
                  <dd>delete selection</dd>
                  <dt>Ctrl+Z / Ctrl+Y</dt>
                  <dd>undo / redo</dd>
                  <dt>Ctrl+D</dt>
                  <dd>duplicate</dd>
                  <dt>F</dt>
                  <dd>fit view</dd>
                  <dt>Ctrl+S</dt>
                  <dd>save now</dd>
                  <dt>Ctrl+Enter</dt>
                  <dd>run</dd>
                </dl>
              </div>
            </>
          )}
        </aside>
      </div>
    </CanvasContext.Provider>
  );
}

export function Editor(props: { workflow: Workflow; catalog: Catalog; datasets: Dataset[] }) {
  return (
    <ReactFlowProvider>
      <Canvas {...props} />
    </ReactFlowProvider>
  );
}

export { errorText };
