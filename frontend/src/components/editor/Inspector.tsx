"use client";
import Link from "next/link";
import { upstreamDataset, type CatalogIndex, type FlowEdge, type FlowNode } from "@/lib/graph";
import type { Dataset, Issue } from "@/lib/types";
import { ParamForm } from "../ParamForm";
import { CATEGORY_COLORS } from "../StepNode";
import { SHORTCUTS } from "./useShortcuts";
import { ProblemList } from "./Problems";

interface Props {
  nodes: FlowNode[];
  edges: FlowEdge[];
  index: CatalogIndex;
  datasets: Dataset[];
  issues: Issue[];
  issuesByNode: Map<string, Issue[]>;
  validationDown: boolean;
  description: string;
  onDescription: (d: string) => void;
  onParam: (nodeId: string, field: string, value: unknown) => void;
  onSelect: (nodeId: string) => void;
  onDuplicate: () => void;
  onDelete: () => void;
}

/** The side panel: the selected step's parameters, or the workflow's description, problems and shortcuts. */
export function Inspector(props: Props) {
  const { nodes, edges, index, datasets, issuesByNode } = props;
  const selected = nodes.filter((n) => n.selected);
  const one = selected.length === 1 ? selected[0] : undefined;
  const spec = one ? index.get(one.data.nodeType) : undefined;
  // a problem with a setting shows under that setting; the rest here (each once)
  const stepWide = one && spec ? (issuesByNode.get(one.id) ?? []).filter((i) => !spec.params?.some((p) => p.name === i.field)) : [];
  return (
    <aside className="sidepanel" aria-label="Inspector" data-testid="inspector">
      {one && spec ? (
        <>
          <div>
            <div className="row">
              <span className="swatch" style={{ width: 10, height: 10, borderRadius: 3, background: CATEGORY_COLORS[spec.category] }} />
              <h2 style={{ margin: 0 }}>{spec.label}</h2>
            </div>
            <div className="muted small" style={{ marginTop: 4 }}>
              {spec.description}
            </div>
          </div>
          {stepWide.length > 0 && (
            <ul className="issues-list" data-testid="node-issues" aria-label="Problems with this step">
              {stepWide.map((i, k) => (
                <li key={k} data-code={i.code}>
                  {i.message}
                </li>
              ))}
            </ul>
          )}
          <ParamForm
            spec={spec}
            nodeId={one.id}
            params={one.data.params}
            issues={issuesByNode.get(one.id) ?? []}
            datasets={datasets}
            columnsFrom={(() => {
              const id = upstreamDataset(one.id, nodes, edges)?.data.params.dataset_id;
              return typeof id === "string" ? datasets.find((d) => d.id === id) : undefined;
            })()}
            onChange={(f, v) => props.onParam(one.id, f, v)}
          />
          <div className="row">
            <button className="btn sm" onClick={props.onDuplicate}>
              Duplicate
            </button>
            <button className="btn sm danger" onClick={props.onDelete} data-testid="delete-node">
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
              <textarea className="input" rows={2} value={props.description} onChange={(e) => props.onDescription(e.target.value)} />
            </label>
          </div>
          {props.issues.length > 0 ? (
            <div>
              <h3>Problems</h3>
              <ProblemList issues={props.issues} nodes={nodes} index={index} onSelect={props.onSelect} testId="all-issues" />
            </div>
          ) : (
            nodes.length > 0 && !props.validationDown && <div className="muted small">No problems found. Press Run when ready.</div>
          )}
          {!datasets.length && (
            <div className="card" style={{ background: "var(--warning-soft)", borderColor: "#fedf89" }}>
              No datasets yet. <Link href="/datasets/">Upload one</Link> to use it here.
            </div>
          )}
          <div>
            <h3>Shortcuts</h3>
            <dl className="small shortcuts">
              {SHORTCUTS.map(([keys, what]) => (
                <div key={keys} className="shortcut">
                  <dt>{keys}</dt>
                  <dd>{what}</dd>
                </div>
              ))}
            </dl>
          </div>
        </>
      )}
    </aside>
  );
}
