"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { headlineMetric, useMetricName } from "@/components/Results";
import { Empty, PageHead, SkeletonRows } from "@/components/ui";
import { api, formatDate, formatNumber } from "@/lib/api";
import type { Model, Page } from "@/lib/types";

export default function Models() {
  const q = useQuery({
    queryKey: ["models"],
    queryFn: async () => {
      const r = await api<Page<Model> | Model[]>("/models?limit=200&offset=0");
      return Array.isArray(r) ? { items: r, total: r.length } : r;
    },
  });
  const items = q.data?.items ?? [];
  const name = useMetricName();
  return (
    <div className="stack">
      <PageHead title="Models" sub="Trained models, kept with their metrics and provenance." />
      <div className="card flush">
        {q.isLoading ? (
          <SkeletonRows />
        ) : items.length === 0 ? (
          <Empty icon="◆" title="No models yet" testId="models-empty">
            <p>
              Run a <Link href="/workflows/">workflow</Link> to train one.
            </p>
          </Empty>
        ) : (
          <table className="table" data-testid="models-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Algorithm</th>
                <th>Task</th>
                <th>Target</th>
                <th>Headline metric</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((m) => {
                const k = headlineMetric(m);
                const v = k ? m.metrics[k] : undefined;
                return (
                  <tr key={m.id}>
                    <td>
                      <Link href={`/models/view/?id=${m.id}`} data-testid="model-link">
                        {m.name}
                      </Link>
                    </td>
                    <td>{m.algorithm}</td>
                    <td>
                      <span className="badge">{m.task}</span>
                    </td>
                    <td>{m.target ?? "—"}</td>
                    <td>{k ? `${name(k)} ${formatNumber(v)}` : "—"}</td>
                    <td className="muted">{formatDate(m.created_at)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}
