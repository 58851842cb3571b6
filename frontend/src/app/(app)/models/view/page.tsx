"use client";
import Link from "next/link";
import { useMutation } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { FillFromRow } from "@/components/FillFromRow";
import { SkopsSnippet } from "@/components/SkopsSnippet";
import { useDeletableResource } from "@/components/hooks";
import { errorText, useToast } from "@/components/Providers";
import { ModelDownloads, ModelExplanations, ShapWaterfall } from "@/components/Explanations";
import { MetricCards } from "@/components/Results";
import { ConfirmDialog, Empty, PageHead, Skeleton } from "@/components/ui";
import { api, ApiError, formatDate, formatNumber } from "@/lib/api";
import type { Issue, Model, Predictions } from "@/lib/types";

const NUMERIC = new Set(["integer", "float", "int", "number", "int64", "float64"]);

function coerce(dtype: string, raw: string): unknown {
  if (raw === "") return null;
  if (NUMERIC.has(dtype)) {
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw;
  }
  if (dtype === "boolean" || dtype === "bool") return raw === "true" ? true : raw === "false" ? false : raw;
  return raw;
}

function PredictionOutput({ p, target }: { p: Predictions; target?: string | null }) {
  const classes = p.classes ?? [];
  const k = classes.findIndex((c) => String(c) === String(p.predictions[0]));
  const probability = k >= 0 ? p.probabilities?.[0]?.[k] : undefined;
  return (
    <div className="stack" style={{ gap: 8 }} data-testid="prediction-result">
      <div className="stat best">
        <div className="label">{target ? `Predicted ${target}` : "Prediction"}</div>
        <div className="value" data-testid="prediction-value">
          {String(p.predictions[0])}
        </div>
        {probability !== undefined && (
          <div className="small" data-testid="prediction-probability">
            class {String(p.predictions[0])} with probability {(probability * 100).toFixed(1)}%
          </div>
        )}
      </div>
      {p.probabilities?.[0] && classes.length > 0 && (
        <div className="stack" style={{ gap: 4 }}>
          {p.probabilities[0].map((pr, i) => (
            <div key={i} className="row small">
              <span style={{ width: 90 }}>{String(classes[i])}</span>
              <div className="progress" style={{ flex: 1 }}>
                <div style={{ width: `${pr * 100}%` }} />
              </div>
              <span style={{ width: 48, textAlign: "right" }}>{(pr * 100).toFixed(1)}%</span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

function PredictForm({ model }: { model: Model }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState<Predictions | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [error, setError] = useState<string | null>(null);
  const predict = useMutation({
    mutationFn: () => {
      const row: Record<string, unknown> = {};
      for (const f of model.features) row[f.name] = coerce(f.dtype, values[f.name] ?? "");
      const explain = model.task === "clustering" ? "" : "?explain=true";
      return api<Predictions>(`/models/${model.id}/predict${explain}`, { body: { rows: [row] } });
    },
    onSuccess: (p) => {
      setResult(p);
      setIssues([]);
      setError(null);
    },
    onError: (e) => {
      setResult(null);
      setIssues(e instanceof ApiError ? e.issues : []);
      setError(errorText(e));
    },
  });
  return (
    <div className="card stack">
      <h2 style={{ margin: 0 }}>Predict one row</h2>
      {model.provenance?.dataset_id && <FillFromRow datasetId={model.provenance.dataset_id} features={model.features} onFill={setValues} />}
      <form
        className="stack"
        style={{ gap: 12 }}
        data-testid="predict-form"
        onSubmit={(e) => {
          e.preventDefault();
          predict.mutate();
        }}
      >
        <div style={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(180px, 1fr))", gap: 12 }}>
          {model.features.map((f) => {
            const bad = issues.filter((i) => i.column === f.name || i.field === f.name);
            return (
              <label key={f.name} className="field">
                <span>
                  {f.name} <span className="help">{f.dtype}</span>
                </span>
                {f.dtype === "boolean" || f.dtype === "bool" ? (
                  <select className={`input ${bad.length ? "invalid" : ""}`} value={values[f.name] ?? ""} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} data-testid={`feature-${f.name}`}>
                    <option value="">—</option>
                    <option value="true">true</option>
                    <option value="false">false</option>
                  </select>
                ) : (
                  <input
                    className={`input ${bad.length ? "invalid" : ""}`}
                    type={NUMERIC.has(f.dtype) ? "number" : "text"}
                    step="any"
                    value={values[f.name] ?? ""}
                    onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                    data-testid={`feature-${f.name}`}
                  />
                )}
                {bad.map((i, k) => (
                  <span key={k} className="field-error">
                    {i.message}
                  </span>
                ))}
              </label>
            );
          })}
        </div>
        <div className="row">
          <button className="btn primary" type="submit" disabled={predict.isPending} data-testid="predict-submit">
            {predict.isPending ? "Predicting…" : "Predict"}
          </button>
          {(() => {
            const empty = model.features.filter((f) => !(values[f.name] ?? "").trim()).length;
            return empty ? (
              <span className="small" style={{ color: "var(--warning)" }} data-testid="empty-fields-warning">
                {empty === model.features.length ? "Every field is empty" : `${empty} of ${model.features.length} fields are empty`}: they are sent as missing values, which
                the model fills as it learned to.
              </span>
            ) : (
              <span className="muted small">Every field is filled.</span>
            );
          })()}
        </div>
      </form>
      {error && (
        <div className="field-error" role="alert" data-testid="predict-error">
          {error}
        </div>
      )}
      {result && <PredictionOutput p={result} target={model.target} />}
      {result?.explanations?.[0] && <ShapWaterfall e={result.explanations[0]} output={result.output} />}
    </div>
  );
}

function BatchPredict({ model }: { model: Model }) {
  const input = useRef<HTMLInputElement>(null);
  const [rows, setRows] = useState<{ file: string; p: Predictions; inputs: string[][]; header: string[] } | null>(null);
  const toast = useToast();
  const batch = useMutation({
    mutationFn: async (file: File) => {
      const form = new FormData();
      form.append("file", file);
      const [p, text] = await Promise.all([api<Predictions>(`/models/${model.id}/predict`, { body: form }), file.slice(0, 2_000_000).text()]);
      const lines = text.split(/\r?\n/).filter(Boolean);
      const header = (lines[0] ?? "").split(",");
      const inputs = lines.slice(1, 201).map((l) => l.split(","));
      return { file: file.name, p, inputs, header };
    },
    onSuccess: setRows,
    onError: (e) => toast.error(e, "Batch prediction failed"),
  });
  const shown = rows ? rows.p.predictions.slice(0, 200) : [];
  function download() {
    if (!rows) return;
    const head = [...rows.header, "prediction"].join(",");
    const body = rows.p.predictions.map((p, i) => [...(rows.inputs[i] ?? []), String(p)].join(",")).join("\n");
    const url = URL.createObjectURL(new Blob([`${head}\n${body}\n`], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `predictions-${rows.file}`;
    a.click();
    URL.revokeObjectURL(url);
  }
  return (
    <div className="card stack">
      <div className="row">
        <h2 style={{ margin: 0 }}>Batch predict from CSV</h2>
        <span className="spacer" />
        <input ref={input} type="file" accept=".csv,text/csv" hidden aria-label="CSV file to predict" data-testid="batch-file" onChange={(e) => e.target.files?.[0] && batch.mutate(e.target.files[0])} />
        <button className="btn" onClick={() => input.current?.click()} disabled={batch.isPending}>
          {batch.isPending ? "Predicting…" : "Choose CSV…"}
        </button>
        {rows && (
          <button className="btn" onClick={download}>
            Download results
          </button>
        )}
      </div>
      <div className="muted small">The CSV needs the feature columns ({model.features.map((f) => f.name).join(", ")}).</div>
      {rows && (
        <div className="table-wrap" style={{ maxHeight: 360 }}>
          <table className="table" data-testid="batch-results">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>prediction</th>
                {rows.p.classes?.map((c) => <th key={String(c)} className="num">P({String(c)})</th>)}
                {rows.header.map((h) => (
                  <th key={h}>{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((p, i) => (
                <tr key={i}>
                  <td className="num muted">{i + 1}</td>
                  <td>
                    <strong>{String(p)}</strong>
                  </td>
                  {rows.p.probabilities?.[i]?.map((pr, k) => (
                    <td key={k} className="num">
                      {formatNumber(pr, 3)}
                    </td>
                  ))}
                  {(rows.inputs[i] ?? []).map((v, k) => (
                    <td key={k} className="muted">
                      {v}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {rows.p.predictions.length > shown.length && <div className="muted small" style={{ padding: 8 }}>Showing 200 of {rows.p.predictions.length} rows.</div>}
        </div>
      )}
    </div>
  );
}

export default function ModelView() {
  const { id, query: q, remove: del, confirm, setConfirm } = useDeletableResource<Model>("models", "Model");
  if (!id) return <Empty title="No model selected" />;
  if (q.isLoading) return <Skeleton height={300} />;
  if (q.error || !q.data)
    return (
      <Empty title="Model not found">
        <p>{(q.error as Error)?.message}</p>
      </Empty>
    );
  const m = q.data;
  const pv = m.provenance ?? ({} as Model["provenance"]);
  return (
    <div className="stack">
      <PageHead
        crumbs={<Link href="/models/">Models</Link>}
        title={<span data-testid="model-name">{m.name}</span>}
        sub={
          <>
            {m.algorithm} · {m.task}
            {m.target ? ` · predicts ${m.target}` : ""} · trained {formatDate(m.created_at)}
          </>
        }
      >
        <ModelDownloads model={m} />
        <button className="btn danger" onClick={() => setConfirm(true)}>
          Delete
        </button>
      </PageHead>
      <MetricCards result={m} />
      <ModelExplanations model={m} />
      <div className="grid2">
        <div className="card">
          <h2>Provenance</h2>
          <dl className="kv">
            <dt>Workflow</dt>
            <dd>
              <Link href={`/workflows/edit/?id=${pv.workflow}`}>{pv.workflow}</Link>
            </dd>
            <dt>Run</dt>
            <dd>
              <Link href={`/runs/view/?id=${m.run_id}`}>{m.run_id}</Link>
            </dd>
            <dt>Dataset</dt>
            <dd>
              <Link href={`/datasets/view/?id=${pv.dataset_id}`}>{pv.dataset_id}</Link>
            </dd>
            <dt>Dataset hash</dt>
            <dd className="mono">{pv.dataset_hash}</dd>
            <dt>Seed</dt>
            <dd>{pv.seed}</dd>
            {pv.workflow_hash && (
              <>
                <dt>Workflow hash</dt>
                <dd className="mono">{pv.workflow_hash}</dd>
              </>
            )}
          </dl>
        </div>
        <div className="card">
          <h2>Library versions</h2>
          <dl className="kv">
            {Object.entries(pv.library_versions ?? {}).map(([k, v]) => (
              <div key={k} style={{ display: "contents" }}>
                <dt>{k}</dt>
                <dd className="mono">{v}</dd>
              </div>
            ))}
          </dl>
          <h3 style={{ marginTop: 16 }}>Features ({m.features.length})</h3>
          <div className="row wrap" style={{ gap: 4 }}>
            {m.features.map((f) => (
              <span key={f.name} className="badge" title={f.dtype}>
                {f.name}
              </span>
            ))}
          </div>
          {m.classes?.length ? (
            <>
              <h3 style={{ marginTop: 16 }}>Classes</h3>
              <div className="row wrap" style={{ gap: 4 }}>
                {m.classes.map((c) => (
                  <span key={String(c)} className="badge">
                    {String(c)}
                  </span>
                ))}
              </div>
            </>
          ) : null}
        </div>
      </div>
      <PredictForm model={m} />
      <BatchPredict model={m} />
      <SkopsSnippet classifier={!!m.classes?.length} />
      <ConfirmDialog
        open={confirm}
        title={`Delete ${m.name}?`}
        message="The model and its file are removed. The run that trained it keeps its metrics."
        onCancel={() => setConfirm(false)}
        onConfirm={() => del.mutate()}
        busy={del.isPending}
      />
    </div>
  );
}
