"use client";
import { Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, applyEdgeChanges, applyNodeChanges, useReactFlow, type Edge, type EdgeChange, type Node, type NodeChange } from "@xyflow/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useMemo, useRef, useState } from "react";
import { api, ApiError } from "@/lib/api";
import { fromApi, graphKey, groupIssues, indexCatalog, TEMPLATES, type FlowEdge, type FlowNode } from "@/lib/graph";
import type { Catalog, Dataset, Run, Workflow } from "@/lib/types";
import { ExportPython } from "@/components/ExportPython";
import { DND_TYPE, Palette } from "./editor/Palette";
import { Inspector } from "./editor/Inspector";
import { PreviewPanel } from "./editor/PreviewPanel";
import { ProblemsButton } from "./editor/Problems";
import { SAVE_LABELS, useAutosave } from "./editor/useAutosave";
import { useGraphEdits } from "./editor/useGraphEdits";
import { useGraphHistory } from "./editor/useGraphHistory";
import { useShortcuts } from "./editor/useShortcuts";
import { useValidation } from "./editor/useValidation";
import { CopyIcon, FitIcon, RedoIcon, TrashIcon, UndoIcon } from "./icons";
import { CanvasContext, StepNode } from "./StepNode";
import { useToast } from "./Providers";

const NODE_TYPES = { step: StepNode };

function Canvas({ workflow, catalog, datasets }: { workflow: Workflow; catalog: Catalog; datasets: Dataset[] }) {
  const router = useRouter();
  const toast = useToast();
  const rf = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);
  const index = useMemo(() => indexCatalog(catalog), [catalog]);
  const datasetMap = useMemo(() => new Map(datasets.map((d) => [d.id, d])), [datasets]);
  const initial = useMemo(() => fromApi(workflow.nodes ?? [], workflow.edges ?? []), [workflow]);

  const history = useGraphHistory(initial);
  const { nodes, edges } = history.graph;
  const edit = useGraphEdits(history, index, wrapper);
  const [name, setName] = useState(workflow.name);
  const [description, setDescription] = useState(workflow.description ?? "");
  const key = useMemo(() => graphKey(nodes, edges), [nodes, edges]);
  const validation = useValidation(key);
  const autosave = useAutosave(workflow, { key, name, description });
  const { saveNow } = autosave;
  const { setIssues } = validation;
  const [running, setRunning] = useState(false);
  const issues = validation.issues;
  const fit = useCallback(() => rf.fitView({ padding: 0.2, duration: 300 }), [rf]);

  const { change, current } = history;
  const onNodesChange = useCallback(
    (changes: NodeChange[]) => change((g) => ({ ...g, nodes: applyNodeChanges(changes, g.nodes as Node[]) as FlowNode[] }), "silent"),
    [change],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => change((g) => ({ ...g, edges: applyEdgeChanges(changes, g.edges as Edge[]) as FlowEdge[] }), "silent"),
    [change],
  );

  const onDrop = useCallback(
    (e: React.DragEvent) => {
      e.preventDefault();
      const spec = index.get(e.dataTransfer.getData(DND_TYPE) || e.dataTransfer.getData("text/plain"));
      if (spec) edit.dropAt(spec, { x: e.clientX, y: e.clientY });
    },
    [index, edit],
  );

  const run = useCallback(async () => {
    if (!current().nodes.length) return;
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
  }, [saveNow, setIssues, current, workflow.id, router, toast]);

  useShortcuts({
    undo: history.undo,
    redo: history.redo,
    duplicate: edit.duplicateSelected,
    remove: edit.deleteSelected,
    save: () => void saveNow(),
    run: () => void run(),
    fit,
  });

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
  const anySelected = nodes.some((n) => n.selected);
  const info = useMemo(() => ({ catalog: index, datasets: datasetMap }), [index, datasetMap]);
  const save = autosave.state;
  const blocked = issues.length > 0 && validation.state !== "error";

  return (
    <CanvasContext.Provider value={info}>
      <div className="editor">
        <Palette catalog={catalog} onAdd={edit.addFromPalette} />
        <div className="editor-main">
          <div className="editor-toolbar" role="toolbar" aria-label="Workflow actions">
            <Link href="/workflows/" className="btn ghost sm" aria-label="Back to workflows">
              ←
            </Link>
            <input className="input name-input" style={{ flex: "0 1 240px", minWidth: 90 }} aria-label="Workflow name" value={name} onChange={(e) => setName(e.target.value)} data-testid="workflow-name" />
            <span className={`save-state ${save === "error" || save === "conflict" ? "error" : ""}`} data-testid="save-state" data-state={save} aria-live="polite">
              {SAVE_LABELS[save]}
            </span>
            {save === "conflict" && (
              <button className="btn sm" onClick={() => window.location.reload()}>
                Reload
              </button>
            )}
            <span className="spacer" />
            <div className="btn-group">
              <button className="btn sm icon" onClick={history.undo} disabled={!history.canUndo} aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)" data-testid="undo">
                <UndoIcon />
              </button>
              <button className="btn sm icon" onClick={history.redo} disabled={!history.canRedo} aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)" data-testid="redo">
                <RedoIcon />
              </button>
              <button className="btn sm icon" onClick={edit.duplicateSelected} disabled={!anySelected} title="Duplicate (Ctrl+D)" aria-label="Duplicate selected (Ctrl+D)">
                <CopyIcon />
              </button>
              <button className="btn sm icon" onClick={edit.deleteSelected} disabled={!anySelected && !edges.some((e) => e.selected)} title="Delete (Del)" aria-label="Delete selected (Delete)" data-testid="delete-selected">
                <TrashIcon />
              </button>
              <button className="btn sm icon" onClick={fit} title="Fit view (F)" aria-label="Fit view (F)">
                <FitIcon />
              </button>
              <select className="input" style={{ height: 28, width: 110, fontSize: 13 }} aria-label="Apply a template" value="" onChange={(e) => e.target.value && edit.applyTemplate(e.target.value)}>
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
            <ExportPython workflowId={workflow.id} name={workflow.name} />
            <ProblemsButton issues={issues} nodes={nodes} index={index} state={validation.state} onSelect={edit.select} />
            <button
              className="btn primary"
              onClick={run}
              disabled={running || !nodes.length || blocked}
              data-testid="run-workflow"
              title={blocked ? `Fix ${issues.length} problem${issues.length === 1 ? "" : "s"} to run` : "Run (Ctrl+Enter)"}
            >
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
              onConnect={edit.onConnect}
              onConnectEnd={edit.onConnectEnd}
              isValidConnection={edit.isValidConnection}
              onNodeDragStart={history.checkpoint}
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
          </div>
          <PreviewPanel nodes={nodes} edges={edges} index={index} />
        </div>
        <Inspector
          nodes={nodes}
          edges={edges}
          index={index}
          datasets={datasets}
          issues={issues}
          issuesByNode={grouped.byNode}
          validationDown={validation.state === "error"}
          description={description}
          onDescription={setDescription}
          onParam={edit.setParam}
          onSelect={edit.select}
          onDuplicate={edit.duplicateSelected}
          onDelete={edit.deleteSelected}
        />
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
