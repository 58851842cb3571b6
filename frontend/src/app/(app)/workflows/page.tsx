"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCatalog } from "@/components/hooks";
import { useToast } from "@/components/Providers";
import { ConfirmDialog, Empty, PageHead, SkeletonRows } from "@/components/ui";
import { api, formatDate } from "@/lib/api";
import { indexCatalog, TEMPLATES, toApi } from "@/lib/graph";
import type { Page, Workflow } from "@/lib/types";

export default function Workflows() {
  const router = useRouter();
  const qc = useQueryClient();
  const toast = useToast();
  const catalog = useCatalog();
  const q = useQuery({ queryKey: ["workflows"], queryFn: () => api<Page<Workflow>>("/workflows?limit=200&offset=0") });
  const [deleting, setDeleting] = useState<Workflow | null>(null);

  const create = useMutation({
    mutationFn: (templateId: string | null) => {
      const t = TEMPLATES.find((x) => x.id === templateId);
      const graph = t ? t.build(indexCatalog(catalog.data)) : { nodes: [], edges: [] };
      const body = { name: t ? t.name : "Untitled workflow", description: t?.description ?? "", ...toApi(graph.nodes, graph.edges) };
      return api<Workflow>("/workflows", { body });
    },
    onSuccess: (w) => {
      qc.invalidateQueries({ queryKey: ["workflows"] });
      router.push(`/workflows/edit/?id=${w.id}`);
    },
    onError: (e) => toast.error(e, "Could not create the workflow"),
  });

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
        <button className="btn primary" onClick={() => create.mutate(null)} disabled={create.isPending} data-testid="new-workflow">
          + New workflow
        </button>
      </PageHead>
      <div className="grid2" style={{ gridTemplateColumns: "repeat(auto-fit, minmax(280px, 1fr))" }}>
        {TEMPLATES.map((t) => (
          <button
            key={t.id}
            className="card"
            style={{ textAlign: "left", cursor: "pointer", font: "inherit" }}
            onClick={() => create.mutate(t.id)}
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
