"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useNewWorkflow } from "@/components/useNewWorkflow";
import { useDeletableResource } from "@/components/hooks";
import { ConfirmDialog, Empty, PageHead, Skeleton, SkeletonRows, Sparkline } from "@/components/ui";
import { api, formatBytes, formatDate, formatNumber } from "@/lib/api";
import type { ColumnProfile, Dataset, Preview } from "@/lib/types";

const PAGE = 25;

function normaliseProfile(raw: unknown): ColumnProfile[] {
  if (Array.isArray(raw)) return raw as ColumnProfile[];
  if (raw && typeof raw === "object") {
    const o = raw as Record<string, unknown>;
    if (Array.isArray(o.columns)) return o.columns as ColumnProfile[];
    return Object.entries(o)
      .filter(([, v]) => v && typeof v === "object")
      .map(([name, v]) => ({ name, ...(v as object) }) as ColumnProfile);
  }
  return [];
}

function Cell({ v }: { v: unknown }) {
  if (v === null || v === undefined) return <span className="null">null</span>;
  if (typeof v === "number") return <>{formatNumber(v, 6)}</>;
  return <>{String(v)}</>;
}

function PreviewTable({ id }: { id: string }) {
  const [offset, setOffset] = useState(0);
  const q = useQuery({
    queryKey: ["preview", id, offset],
    queryFn: () => api<Preview>(`/datasets/${id}/preview?limit=${PAGE}&offset=${offset}`),
    placeholderData: (prev) => prev,
  });
  const total = q.data?.total_rows ?? 0;
  return (
    <div className="card flush">
      <div className="card-head">
        <h2>Preview</h2>
        <span className="spacer" />
        <span className="muted small" data-testid="preview-range">
          {total ? `Rows ${offset + 1}–${Math.min(offset + PAGE, total)} of ${total.toLocaleString()}` : ""}
        </span>
        <button className="btn sm" aria-label="Previous page" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          ‹ Prev
        </button>
        <button className="btn sm" aria-label="Next page" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)} data-testid="preview-next">
          Next ›
        </button>
      </div>
      {q.isLoading ? (
        <SkeletonRows rows={8} />
      ) : q.data ? (
        <div className="table-wrap" style={{ maxHeight: 480, opacity: q.isFetching ? 0.6 : 1 }}>
          <table className="table" data-testid="preview-table">
            <thead>
              <tr>
                <th className="num">#</th>
                {q.data.columns.map((c) => (
                  <th key={c}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {q.data.rows.map((r, i) => (
                <tr key={offset + i}>
                  <td className="num muted">{offset + i + 1}</td>
                  {r.map((v, j) => (
                    <td key={j} className={typeof v === "number" ? "num" : ""}>
                      <Cell v={v} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty title="Preview unavailable" />
      )}
    </div>
  );
}

function Profile({ id, dataset }: { id: string; dataset: Dataset }) {
  const q = useQuery({ queryKey: ["profile", id], queryFn: async () => normaliseProfile(await api<unknown>(`/datasets/${id}/profile`)) });
  const cols: ColumnProfile[] = q.data?.length ? q.data : dataset.columns;
  return (
    <div className="card flush">
      <div className="card-head">
        <h2>Columns</h2>
        <span className="muted small">{dataset.columns.length} columns</span>
      </div>
      {q.isLoading ? (
        <SkeletonRows rows={6} />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="profile-table">
            <thead>
              <tr>
                <th>Column</th>
                <th>Type</th>
                <th className="num">Missing</th>
                <th className="num">Unique</th>
                <th>Summary</th>
                <th>Distribution</th>
              </tr>
            </thead>
            <tbody>
              {cols.map((c) => {
                const missingPct = dataset.row_count ? (c.missing / dataset.row_count) * 100 : 0;
                return (
                  <tr key={c.name}>
                    <td>
                      <strong>{c.name}</strong>
                    </td>
                    <td>
                      <span className="badge">{c.dtype}</span>
                    </td>
                    <td className="num" style={{ color: c.missing ? "var(--warning)" : undefined }}>
                      {c.missing.toLocaleString()}
                      {c.missing ? <span className="muted small"> ({missingPct.toFixed(1)}%)</span> : null}
                    </td>
                    <td className="num">{c.unique.toLocaleString()}</td>
                    <td className="small muted">
                      {c.mean != null ? (
                        <>
                          min {formatNumber(c.min)} · max {formatNumber(c.max)} · mean {formatNumber(c.mean)} · std {formatNumber(c.std)}
                        </>
                      ) : c.top_values?.length ? (
                        c.top_values
                          .slice(0, 3)
                          .map((t) => `${String(t.value)} (${t.count})`)
                          .join(" · ")
                      ) : (
                        "—"
                      )}
                    </td>
                    <td>
                      {c.histogram?.length ? (
                        <Sparkline bins={c.histogram} label={`Histogram of ${c.name}`} />
                      ) : c.top_values?.length ? (
                        <Sparkline
                          bins={c.top_values.slice(0, 12).map((t, i) => ({ start: i, end: i + 1, count: t.count }))}
                          label={`Top values of ${c.name}`}
                        />
                      ) : (
                        <span className="muted small">—</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export default function DatasetView() {
  const { id, query: q, remove: del, confirm, setConfirm, inUse, cancel } = useDeletableResource<Dataset>("datasets", "Dataset");
  const fromDataset = useNewWorkflow();
  if (!id) return <Empty title="No dataset selected" />;
  if (q.isLoading) return <Skeleton height={300} />;
  if (q.error || !q.data)
    return (
      <Empty title="Dataset not found">
        <p>{(q.error as Error)?.message}</p>
        <Link href="/datasets/">Back to datasets</Link>
      </Empty>
    );
  const d = q.data;
  const missing = d.columns.reduce((a, c) => a + c.missing, 0);
  return (
    <div className="stack">
      <PageHead
        crumbs={<Link href="/datasets/">Datasets</Link>}
        title={<span data-testid="dataset-name">{d.name}</span>}
        sub={`${d.filename} · ${d.format} · uploaded ${formatDate(d.created_at)}`}
      >
        <button className="btn primary" onClick={() => fromDataset.mutate({ datasetId: d.id, name: d.name })} disabled={fromDataset.isPending} data-testid="new-workflow-from-dataset">
          New workflow from this dataset
        </button>
        <button className="btn danger" onClick={() => setConfirm(true)} data-testid="delete-dataset">
          Delete
        </button>
      </PageHead>
      <div className="stats">
        <div className="stat">
          <div className="label">Rows</div>
          <div className="value" data-testid="row-count">
            {d.row_count.toLocaleString()}
          </div>
        </div>
        <div className="stat">
          <div className="label">Columns</div>
          <div className="value">{d.columns.length}</div>
        </div>
        <div className="stat">
          <div className="label">Missing cells</div>
          <div className="value">{missing.toLocaleString()}</div>
        </div>
        <div className="stat">
          <div className="label">Size</div>
          <div className="value">{formatBytes(d.size_bytes)}</div>
        </div>
      </div>
      <Profile id={d.id} dataset={d} />
      <PreviewTable id={d.id} />
      <div className="muted small">
        Content hash <code>{d.content_hash}</code>
        {d.duplicate_of && (
          <>
            {" "}
            · the same file as <Link href={`/datasets/view/?id=${d.duplicate_of}`}>an earlier upload</Link>
          </>
        )}
      </div>
      <ConfirmDialog
        open={confirm}
        title={inUse ? `${d.name} is in use` : `Delete ${d.name}?`}
        message={inUse ? `${inUse}. Delete it anyway? Those workflows will need another dataset.` : "The table is removed for good. Models trained on it keep working."}
        onCancel={cancel}
        onConfirm={() => del.mutate(!!inUse)}
        busy={del.isPending}
      />
    </div>
  );
}
