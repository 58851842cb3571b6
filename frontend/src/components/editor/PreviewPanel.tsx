"use client";
import { useMemo, useState } from "react";
import type { CatalogIndex, FlowEdge, FlowNode } from "@/lib/graph";
import { formatCell, previewSummary, upstreamGraph } from "@/lib/preview";
import type { StepPreview } from "@/lib/types";
import { usePreview } from "./usePreview";

interface Props {
  nodes: FlowNode[];
  edges: FlowEdge[];
  index: CatalogIndex;
}

/** Below the canvas: the table flowing out of the selected step (training rows, or a model's predictions
 * on the test rows beside the truth). It loads on its own, so the canvas stays editable meanwhile. */
export function PreviewPanel({ nodes, edges, index }: Props) {
  const [open, setOpen] = useState(true);
  const selected = nodes.filter((n) => n.selected);
  const one = selected.length === 1 ? selected[0] : undefined;
  const nodeId = open && one ? one.id : null;
  const upstream = useMemo(() => (nodeId ? upstreamGraph(nodeId, nodes, edges) : null), [nodeId, nodes, edges]);
  const state = usePreview(nodeId, upstream);
  const label = one ? (index.get(one.data.nodeType)?.label ?? "Step") : null;

  return (
    <section className={`preview-panel ${open ? "open" : ""}`} aria-label="Step preview" data-testid="preview-panel">
      <div className="preview-head">
        <button className="btn ghost sm" onClick={() => setOpen(!open)} aria-expanded={open} data-testid="preview-toggle">
          {open ? "▾" : "▸"} Preview{label ? ` · ${label}` : ""}
        </button>
        {open && state.status === "ready" && (
          <span className="muted small" data-testid="preview-summary">
            {previewSummary(state.preview)}
            {state.preview.cached && <span className="badge" title="Nothing above this step changed since it was last computed"> cached</span>}
          </span>
        )}
        {open && state.status === "loading" && <span className="muted small">Computing…</span>}
      </div>
      {open && (
        <div className="preview-body">
          {!one && <div className="muted small">Select one step to see the table that flows out of it.</div>}
          {one && state.status === "error" && (
            <div className="preview-error" role="alert" data-testid="preview-error">
              {state.message}
              {state.details.length > 0 && (
                <ul>
                  {state.details.map((d, k) => (
                    <li key={k}>{d}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {one && state.status === "ready" && <PreviewTable preview={state.preview} />}
          {one && state.status === "loading" && state.previous && <PreviewTable preview={state.previous} stale />}
        </div>
      )}
    </section>
  );
}

function PreviewTable({ preview, stale = false }: { preview: StepPreview; stale?: boolean }) {
  return (
    <div className="table-wrap preview-table" style={{ opacity: stale ? 0.5 : 1 }}>
      <table className="table" data-testid="step-preview-table">
        <thead>
          <tr>
            {preview.columns.map((c) => (
              <th key={c.name} title={c.dtype}>
                {c.name}
                <div className="muted small">{c.dtype}</div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((row, r) => (
            <tr key={r}>
              {row.map((v, c) => (
                <td key={c} className={v === null ? "null" : typeof v === "number" ? "num" : undefined}>
                  {formatCell(v)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
