"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { formatBytes, uploadWithProgress } from "@/lib/api";
import type { Dataset } from "@/lib/types";
import { suggestedOption, type ReadOptions } from "@/lib/upload";
import { ProgressBar } from "./ui";
import { useToast } from "./Providers";

const NO_OPTIONS: ReadOptions = { skip_rows: "", header_row: true, delimiter: "", encoding: "" };

export function Upload({ onDone }: { onDone?: (d: Dataset) => void }) {
  const [over, setOver] = useState(false);
  const [options, setOptions] = useState<ReadOptions>(NO_OPTIONS);
  const [showOptions, setShowOptions] = useState(false);
  const [job, setJob] = useState<{ name: string; size: number; fraction: number; abort: () => void } | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const toast = useToast();
  const qc = useQueryClient();

  function start(file: File) {
    const form = new FormData();
    form.append("file", file);
    form.append("name", file.name.replace(/\.[^.]+$/, ""));
    if (options.skip_rows.trim()) form.append("skip_rows", options.skip_rows.trim());
    if (!options.header_row) form.append("header_row", "false");
    if (options.delimiter) form.append("delimiter", options.delimiter === "tab" ? "\t" : options.delimiter);
    if (options.encoding.trim()) form.append("encoding", options.encoding.trim());
    const { promise, abort } = uploadWithProgress<Dataset>("/datasets", form, (fraction) =>
      setJob((j) => (j ? { ...j, fraction } : j)),
    );
    setJob({ name: file.name, size: file.size, fraction: 0, abort });
    promise
      .then((d) => {
        toast.success(`Uploaded ${d.name}: ${d.row_count.toLocaleString()} rows${d.duplicate_of ? " (the same file as an earlier upload)" : ""}`);
        setOptions(NO_OPTIONS);
        qc.invalidateQueries({ queryKey: ["datasets"] });
        onDone?.(d);
      })
      .catch((e) => {
        const fix = suggestedOption(e instanceof Error ? e.message : String(e));
        if (fix) {
          setOptions((o) => ({ ...o, ...fix }));
          setShowOptions(true);
        }
        toast.error(e, fix ? `${file.name}: the import options below now hold the suggested fix; choose the file again` : `Upload of ${file.name} failed`);
      })
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
      <details className="upload-options" open={showOptions} onToggle={(e) => setShowOptions((e.target as HTMLDetailsElement).open)}>
        <summary>Import options (CSV and TSV)</summary>
        <div className="row wrap" style={{ gap: 16, marginTop: 10, alignItems: "flex-end" }}>
          <label className="field">
            Lines to skip before the header
            <input className="input" type="number" min={0} style={{ width: 110 }} value={options.skip_rows} placeholder="0" onChange={(e) => setOptions({ ...options, skip_rows: e.target.value })} data-testid="option-skip_rows" />
          </label>
          <label className="check">
            <input type="checkbox" checked={options.header_row} onChange={(e) => setOptions({ ...options, header_row: e.target.checked })} data-testid="option-header_row" />
            First row holds the column names
          </label>
          <label className="field">
            Delimiter
            <select className="input" value={options.delimiter} onChange={(e) => setOptions({ ...options, delimiter: e.target.value })} data-testid="option-delimiter">
              <option value="">Detect</option>
              <option value=",">Comma ,</option>
              <option value=";">Semicolon ;</option>
              <option value="tab">Tab</option>
              <option value="|">Pipe |</option>
            </select>
          </label>
          <label className="field">
            Encoding
            <select className="input" value={options.encoding} onChange={(e) => setOptions({ ...options, encoding: e.target.value })} data-testid="option-encoding">
              <option value="">Detect</option>
              <option value="utf-8">UTF-8</option>
              <option value="latin-1">Latin-1 (ISO 8859-1)</option>
              <option value="cp1252">Windows-1252</option>
            </select>
          </label>
        </div>
      </details>
    </div>
  );
}
