"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useIdParam } from "@/components/hooks";
import { Empty, PageHead, SkeletonRows, StatusBadge } from "@/components/ui";
import { api, formatDate, formatNumber } from "@/lib/api";
import type { Page, Run, Workflow } from "@/lib/types";

function duration(r: Run) {
  if (!r.started_at) return "—";
  const end = r.finished_at ? new Date(r.finished_at).getTime() : Date.now();
  const s = (end - new Date(r.started_at).getTime()) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function headline(r: Run): string {
  const res = r.results?.[0];
  if (!res) return "—";
  const [k, v] = Object.entries(res.metrics ?? {})[0] ?? [];
  return k ? `${k} ${formatNumber(v)}` : "—";
}

export default function Runs() {
  const id = useIdParam();
  const wf = useQuery({ queryKey: ["workflow", id], queryFn: () => api<Workflow>(`/workflows/${id}`), enabled: !!id });
  const q = useQuery({
    queryKey: ["runs", id],
    queryFn: () => api<Page<Run>>(`/runs?workflow_id=${id}&limit=100&offset=0`),
    enabled: !!id,
    refetchInterval: (query) => (query.state.data?.items.some((r) => r.status === "queued" || r.status === "running") ? 3000 : false),
  });
  const items = q.data?.items ?? [];
  return (
    <div className="stack">
      <PageHead crumbs={<Link href="/workflows/">Workflows</Link>} title={`Runs · ${wf.data?.name ?? ""}`}>
        <Link className="btn" href={`/workflows/edit/?id=${id}`}>
          Open canvas
        </Link>
      </PageHead>
      <div className="card flush">
        {q.isLoading ? (
          <SkeletonRows />
        ) : items.length === 0 ? (
          <Empty icon="▶" title="No runs yet" testId="runs-empty">
            <p>Run the workflow from its canvas.</p>
          </Empty>
        ) : (
          <table className="table" data-testid="runs-table">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Started</th>
                <th>Duration</th>
                <th>Models</th>
                <th>Headline</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link href={`/runs/view/?id=${r.id}`} className="mono">
                      {r.id.slice(0, 8)}
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td className="muted">{formatDate(r.created_at)}</td>
                  <td>{duration(r)}</td>
                  <td>{r.results?.length ?? 0}</td>
                  <td>{headline(r)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}
