"use client";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCatalog, useDatasets } from "@/components/hooks";
import { useNewWorkflow } from "@/components/useNewWorkflow";
import { useToast } from "@/components/Providers";
import { ConfirmDialog, Empty, PageHead, SkeletonRows } from "@/components/ui";
import { api, formatDate } from "@/lib/api";
import { TEMPLATES, type Template } from "@/lib/graph";
import type { Page, Workflow } from "@/lib/types";

/** A template starts from the dataset and target the user picks here, so it opens without problems. */
function TemplateDialog({ template, busy, onCancel, onCreate }: { template: Template; busy: boolean; onCancel: () => void; onCreate: (datasetId: string | null, target: string | null) => void }) {
  const datasets = useDatasets().data?.items ?? [];
  const [datasetId, setDatasetId] = useState("");
  const [target, setTarget] = useState("");
  const columns = datasets.find((d) => d.id === datasetId)?.columns ?? [];
  return (
    <div className="backdrop" role="presentation" onMouseDown={onCancel}>
      <div className="dialog stack" role="dialog" aria-modal="true" aria-label={`Start from ${template.name}`} data-testid="template-dialog" onMouseDown={(e) => e.stopPropagation()}>
        <h2 style={{ margin: 0 }}>{template.name}</h2>
        <div className="muted small">{template.description}</div>
        <label className="field">
          Dataset
          <select className="input" value={datasetId} onChange={(e) => (setDatasetId(e.target.value), setTarget(""))} data-testid="template-dataset">
            <option value="">{datasets.length ? "Choose a dataset…" : "No datasets yet: upload one first"}</option>
            {datasets.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} ({d.row_count.toLocaleString()} rows)
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Column to predict
          <select className="input" value={target} onChange={(e) => setTarget(e.target.value)} disabled={!columns.length} data-testid="template-target">
            <option value="">{columns.length ? "Choose a column…" : "Choose a dataset first"}</option>
            {columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} · {c.dtype}
              </option>
            ))}
          </select>
        </label>
        <div className="row">
          <span className="spacer" />
          <button className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button className="btn primary" disabled={busy} onClick={() => onCreate(datasetId || null, target || null)} data-testid="template-create">
            {datasetId && target ? "Create" : "Create without choosing"}
          </button>
        </div>
      </div>
    </div>
  );
}

export default function Workflows() {
  const qc = useQueryClient();
  const toast = useToast();
  const catalog = useCatalog();
  const q = useQuery({ queryKey: ["workflows"], queryFn: () => api<Page<Workflow>>("/workflows?limit=200&offset=0") });
  const [deleting, setDeleting] = useState<Workflow | null>(null);

  const create = useNewWorkflow();
  const [picking, setPicking] = useState<string | null>(null);

  const del = useMutation({
    mutationFn: (id: string) => api(`/workflows/${id}`, { method: "DELETE" }),
    onSuccess: () => {
      setDeleting(null);
      toast.success("Workflow deleted");
      qc.invalidateQueries({ queryKey: ["workflows"] });
    },
    onError: (e) => {
      setDeleting(null);
      toast.error(e);
    },
  });

  const items = q.data?.items ?? [];
  return (
    <div className="stack">
      <PageHead title="Workflows" sub="Pipelines from a dataset to trained, evaluated models.">
        <button className="btn primary" onClick={() => create.mutate({})} disabled={create.isPending} data-testid="new-workflow">
          + New workflow
        </button>
      </PageHead>
      <div className="grid2" style={{ gridTemplateColumns: "repeat(auto-fit, minmax(280px, 1fr))" }}>
        {TEMPLATES.map((t) => (
          <button
            key={t.id}
            className="card"
            style={{ textAlign: "left", cursor: "pointer", font: "inherit" }}
            onClick={() => setPicking(t.id)}
            disabled={create.isPending || !catalog.data}
            data-testid={`template-${t.id}`}
            aria-label={`Start from template: ${t.name}`}
          >
            <div className="muted small" style={{ fontWeight: 600, textTransform: "uppercase", letterSpacing: "0.05em" }}>
              Template
            </div>
            <h3 style={{ marginTop: 4 }}>{t.name}</h3>
            <div className="muted small">{t.description}</div>
          </button>
        ))}
      </div>
      <div className="card flush">
        <div className="card-head">
          <h2>Your workflows</h2>
        </div>
        {q.isLoading ? (
          <SkeletonRows />
        ) : items.length === 0 ? (
          <Empty icon="⇢" title="No workflows yet" testId="workflows-empty">
            <p>Start from a template above or create an empty one.</p>
          </Empty>
        ) : (
          <table className="table" data-testid="workflows-table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Nodes</th>
                <th>Updated</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((w) => (
                <tr key={w.id}>
                  <td>
                    <Link href={`/workflows/edit/?id=${w.id}`}>{w.name}</Link>
                    {w.description && <div className="muted small">{w.description}</div>}
                  </td>
                  <td className="num">{w.nodes?.length ?? "—"}</td>
                  <td className="muted">{formatDate(w.updated_at)}</td>
                  <td style={{ textAlign: "right" }}>
                    <Link className="btn sm ghost" href={`/workflows/runs/?id=${w.id}`}>
                      Runs
                    </Link>
                    <button className="btn sm ghost" aria-label={`Delete ${w.name}`} onClick={() => setDeleting(w)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {picking && <TemplateDialog template={TEMPLATES.find((t) => t.id === picking)!} busy={create.isPending} onCancel={() => setPicking(null)} onCreate={(datasetId, target) => create.mutate({ templateId: picking, datasetId, target })} />}
      <ConfirmDialog
        open={!!deleting}
        title={`Delete ${deleting?.name ?? "workflow"}?`}
        message="The workflow is removed. Its runs and models are kept."
        onCancel={() => setDeleting(null)}
        onConfirm={() => deleting && del.mutate(deleting.id)}
        busy={del.isPending}
      />
    </div>
  );
}
