"use client";
import Link from "next/link";
import { Upload } from "@/components/Upload";
import { useDatasets } from "@/components/hooks";
import { Empty, PageHead, SkeletonRows } from "@/components/ui";
import { formatBytes, formatDate } from "@/lib/api";

export default function Datasets() {
  const q = useDatasets();
  const items = q.data?.items ?? [];
  return (
    <div className="stack">
      <PageHead title="Datasets" sub="Tables to learn from. Uploads stream to storage, then get profiled." />
      <Upload />
      <div className="card flush">
        <div className="card-head">
          <h2>Your datasets</h2>
          <span className="muted small">{q.data ? `${q.data.total} total` : ""}</span>
        </div>
        {q.isLoading ? (
          <SkeletonRows />
        ) : items.length === 0 ? (
          <Empty icon="▦" title="No datasets yet" testId="datasets-empty">
            <p>Upload a CSV or Parquet file above to get started.</p>
          </Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="datasets-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>File</th>
                  <th className="num">Rows</th>
                  <th className="num">Columns</th>
                  <th className="num">Size</th>
                  <th>Uploaded</th>
                </tr>
              </thead>
              <tbody>
                {items.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <Link href={`/datasets/view/?id=${d.id}`} data-testid="dataset-link">
                        {d.name}
                      </Link>
                    </td>
                    <td className="muted">{d.filename}</td>
                    <td className="num">{d.row_count.toLocaleString()}</td>
                    <td className="num">{d.columns.length}</td>
                    <td className="num">{formatBytes(d.size_bytes)}</td>
                    <td className="muted">{formatDate(d.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}
