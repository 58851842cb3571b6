"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { formatBytes, uploadWithProgress } from "@/lib/api";
import type { Dataset } from "@/lib/types";
import { ProgressBar } from "./ui";
import { useToast } from "./Providers";

export function Upload({ onDone }: { onDone?: (d: Dataset) => void }) {
  const [over, setOver] = useState(false);
  const [job, setJob] = useState<{ name: string; size: number; fraction: number; abort: () => void } | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const toast = useToast();
  const qc = useQueryClient();

  function start(file: File) {
    const form = new FormData();
    form.append("file", file);
    form.append("name", file.name.replace(/\.[^.]+$/, ""));
    const { promise, abort } = uploadWithProgress<Dataset>("/datasets", form, (fraction) =>
      setJob((j) => (j ? { ...j, fraction } : j)),
    );
    setJob({ name: file.name, size: file.size, fraction: 0, abort });
    promise
      .then((d) => {
        toast.success(`Uploaded ${d.name}: ${d.row_count.toLocaleString()} rows`);
        qc.invalidateQueries({ queryKey: ["datasets"] });
        onDone?.(d);
      })
      .catch((e) => toast.error(e, `Upload of ${file.name} failed`))
      .finally(() => {
        setJob(null);
        if (input.current) input.current.value = "";
      });
  }

  return (
    <div className="card">
      {job ? (
        <div className="stack" style={{ gap: 8 }} data-testid="upload-progress">
          <div className="row">
            <strong>{job.name}</strong>
            <span className="muted small">{formatBytes(job.size)}</span>
            <span className="spacer" />
            <span className="small">{job.fraction >= 1 ? "Processing…" : `${Math.round(job.fraction * 100)}%`}</span>
            <button className="btn sm" onClick={job.abort}>
              Cancel
            </button>
          </div>
          <ProgressBar value={job.fraction} label={`Uploading ${job.name}`} />
        </div>
      ) : (
        <div
          className={`dropzone ${over ? "over" : ""}`}
          role="button"
          tabIndex={0}
          aria-label="Upload a dataset: drop a file or press to choose one"
          data-testid="dropzone"
          onClick={() => input.current?.click()}
          onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && input.current?.click()}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setOver(false);
            const f = e.dataTransfer.files?.[0];
            if (f) start(f);
          }}
        >
          <div style={{ fontSize: 26 }} aria-hidden="true">
            ⇪
          </div>
          <div>
            Drop a table here or <strong>choose a file</strong>
          </div>
          <div className="muted small" style={{ marginTop: 4 }}>
            CSV, TSV, Parquet or JSON lines
          </div>
          <input
            ref={input}
            type="file"
            hidden
            data-testid="file-input"
            aria-label="Dataset file"
            accept=".csv,.tsv,.txt,.parquet,.pq,.json,.jsonl,.ndjson"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) start(f);
            }}
          />
        </div>
      )}
    </div>
  );
}
