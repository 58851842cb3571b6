"use client";
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo, useContext, createContext } from "react";
import type { CatalogIndex, StepData } from "@/lib/graph";
import { paramLabel, valueLabel } from "@/lib/labels";
import { STEP_STATE_LABELS } from "@/lib/runs";
import type { Dataset, Port } from "@/lib/types";

export interface CanvasInfo {
  catalog: CatalogIndex;
  datasets: Map<string, Dataset>;
}
export const CanvasContext = createContext<CanvasInfo>({ catalog: new Map(), datasets: new Map() });

export const CATEGORY_COLORS: Record<string, string> = {
  data: "var(--cat-data)",
  preprocess: "var(--cat-preprocess)",
  split: "var(--cat-split)",
  model: "var(--cat-model)",
  automl: "var(--cat-automl)",
  evaluate: "var(--cat-evaluate)",
  visualize: "var(--cat-visualize)",
};

function summary(data: StepData, info: CanvasInfo): string {
  const p = data.params ?? {};
  if (data.nodeType === "dataset") {
    const ds = typeof p.dataset_id === "string" ? info.datasets.get(p.dataset_id) : undefined;
    const name = ds?.name ?? (p.dataset_id ? "unknown dataset" : "no dataset chosen");
    return p.target ? `${name} → ${String(p.target)}` : name;
  }
  if (data.nodeType === "split") {
    return p.method === "kfold" ? `${p.folds ?? 5}-fold CV` : `hold-out ${Math.round(Number(p.test_size ?? 0.25) * 100)}% test`;
  }
  const spec = info.catalog.get(data.nodeType);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(p)) {
    if (v === null || v === "" || (Array.isArray(v) && !v.length) || k === "seed") continue;
    const param = spec?.params?.find((x) => x.name === k);
    parts.push(`${paramLabel(k)} ${valueLabel(param, v)}`);
    if (parts.length === 2) break;
  }
  return parts.join(" · ") || "defaults";
}

function Handles({ ports, type, nodeId }: { ports: Port[]; type: "source" | "target"; nodeId: string }) {
  return (
    <>
      {ports.map((port, i) => {
        const top = `${((i + 1) / (ports.length + 1)) * 100}%`;
        const kinds = port.accepts?.length ? port.accepts.join("/") : port.kind;
        return (
          <Handle
            key={port.name}
            id={port.name}
            type={type}
            position={type === "target" ? Position.Left : Position.Right}
            style={{ top }}
            className={`kind-${port.kind}`}
            data-testid={`handle-${nodeId}-${type === "target" ? "in" : "out"}-${port.name}`}
            aria-label={`${type === "target" ? "Input" : "Output"} ${port.label || port.name} (${kinds})`}
            title={`${port.label || port.name}: ${kinds}`}
          />
        );
      })}
    </>
  );
}

function StepNodeImpl({ id, data, selected }: NodeProps) {
  const info = useContext(CanvasContext);
  const d = data as StepData;
  const spec = info.catalog.get(d.nodeType);
  const issues = d.issues ?? [];
  const color = CATEGORY_COLORS[spec?.category ?? ""] ?? "#98a2b3";
  const run = d.runState;
  const cls = ["step-node", selected ? "selected" : "", issues.length ? "invalid" : "", run ? `run-${run.state}` : ""].join(" ");
  return (
    <div
      className={cls}
      data-testid={`node-${d.nodeType}`}
      data-node-id={id}
      data-invalid={issues.length ? "true" : "false"}
      data-run-state={run?.state}
      aria-label={`${spec?.label ?? d.nodeType} node${issues.length ? `, ${issues.length} problem${issues.length > 1 ? "s" : ""}` : ""}`}
    >
      <Handles ports={spec?.inputs ?? []} type="target" nodeId={id} />
      <div className="head">
        <span className="cat" style={{ background: color }} />
        <span>{spec?.label ?? d.nodeType}</span>
        {issues.length > 0 && <span className="err-badge">{issues.length}</span>}
        {run && (
          <span className={`badge ${run.state} run-badge`} title={run.message ?? undefined} data-testid={`canvas-state-${id}`}>
            <span className="dot" />
            {STEP_STATE_LABELS[run.state]}
          </span>
        )}
      </div>
      {run?.message && run.state !== "queued" && <div className="node-run-message">{run.message}</div>}
      <div className="body" title={summary(d, info)}>
        {summary(d, info)}
      </div>
      {issues.length > 0 && (
        <div className="node-issue" data-testid="node-issue">
          {issues[0].message}
        </div>
      )}
      <Handles ports={spec?.outputs ?? []} type="source" nodeId={id} />
    </div>
  );
}

export const StepNode = memo(StepNodeImpl);
