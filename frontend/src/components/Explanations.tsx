"use client";
// SHAP on the model page: a bar chart of mean |SHAP| per column, a beeswarm of the sampled rows,
// a waterfall for one predicted row; and the model's download formats.
import { useQuery } from "@tanstack/react-query";
import { DownloadIcon } from "@/components/icons";
import { api, apiUrl, ApiError, formatNumber } from "@/lib/api";
import { OUTPUT_LABEL, swarm, waterfall } from "@/lib/shap";
import type { Explanation, Model, RowExplanation } from "@/lib/types";

const WIDTH = 640;
const LABEL = 150;
const LANE = 26;
const POSITIVE = "#d92d20";
const NEGATIVE = "#3b5bdb";

function scale(min: number, max: number, left = LABEL, right = WIDTH - 16) {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const span = hi - lo || 1;
  return (v: number) => left + ((v - lo) / span) * (right - left);
}

/** Blue (low feature value) to red (high); grey for text or missing values. */
function shade(t: number | null): string {
  if (t === null) return "#98a2b3";
  const r = Math.round(59 + (217 - 59) * t);
  const g = Math.round(91 + (45 - 91) * t);
  const b = Math.round(219 + (32 - 219) * t);
  return `rgb(${r},${g},${b})`;
}

function ImpactBars({ e }: { e: Explanation }) {
  const top = e.features.slice(0, 12);
  const x = scale(0, top[0]?.mean_abs ?? 1);
  return (
    <svg width="100%" viewBox={`0 0 ${WIDTH} ${top.length * LANE + 8}`} role="img" aria-label="Mean absolute SHAP value per column" data-testid="shap-bars">
      {top.map((f, i) => (
        <g key={f.name} transform={`translate(0, ${i * LANE + 4})`}>
          <text x={LABEL - 8} y={LANE / 2 + 4} textAnchor="end" fontSize={12}>
            {f.name}
          </text>
          <rect x={x(0)} y={4} width={Math.max(1, x(f.mean_abs) - x(0))} height={LANE - 10} fill={POSITIVE} opacity={0.8} />
          <text x={x(f.mean_abs) + 4} y={LANE / 2 + 4} fontSize={11} fill="#667085">
            {formatNumber(f.mean_abs, 3)}
          </text>
        </g>
      ))}
    </svg>
  );
}

function Beeswarm({ e }: { e: Explanation }) {
  const s = swarm(e);
  const x = scale(s.min, s.max);
  const height = s.features.length * LANE + 28;
  return (
    <svg width="100%" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label="SHAP value of each sampled row per column" data-testid="shap-beeswarm">
      <line x1={x(0)} x2={x(0)} y1={0} y2={height - 24} stroke="#cfd4dc" />
      {s.features.map((name, i) => (
        <text key={name} x={LABEL - 8} y={i * LANE + LANE / 2 + 4} textAnchor="end" fontSize={12}>
          {name}
        </text>
      ))}
      {s.points.map((p) => (
        <circle
          key={`${p.feature}-${p.row}`}
          cx={x(p.value)}
          cy={s.features.indexOf(p.feature) * LANE + LANE / 2 + p.offset * (LANE / 2 - 3)}
          r={3}
          fill={shade(p.shade)}
          opacity={0.85}
        >
          <title>{`${p.feature} = ${String(e.sample.rows[p.row]?.[p.feature] ?? "missing")}: ${formatNumber(p.value, 4)}`}</title>
        </circle>
      ))}
      <text x={LABEL} y={height - 6} fontSize={11} fill="#667085">
        ← lowers the {OUTPUT_LABEL[e.output] ?? e.output}
      </text>
      <text x={WIDTH - 16} y={height - 6} fontSize={11} fill="#667085" textAnchor="end">
        raises it → · colour: low → high value
      </text>
    </svg>
  );
}

export function ModelExplanations({ model }: { model: Model }) {
  const q = useQuery({
    queryKey: ["models", model.id, "explanations"],
    queryFn: () => api<Explanation>(`/models/${model.id}/explanations`),
    enabled: model.task !== "clustering",
    retry: (n, err) => !(err instanceof ApiError && err.status === 409) && n < 2,
  });
  if (model.task === "clustering") return null;
  return (
    <div className="card stack" data-testid="model-explanations">
      <h2 style={{ margin: 0 }}>What drives the predictions</h2>
      {q.isLoading && <div className="muted small">Loading the explanation…</div>}
      {q.error && <div className="muted small">{q.error instanceof ApiError ? q.error.message : "No explanation."}</div>}
      {q.data && (
        <>
          <div className="muted small">
            SHAP values of {q.data.sample.rows.length} held-out rows ({q.data.method}), in the {OUTPUT_LABEL[q.data.output] ?? q.data.output}.
          </div>
          <div className="grid2">
            <div>
              <h3>Average impact per column</h3>
              <ImpactBars e={q.data} />
            </div>
            <div>
              <h3>Each row&apos;s impact</h3>
              <Beeswarm e={q.data} />
            </div>
          </div>
        </>
      )}
    </div>
  );
}

export function ShapWaterfall({ e, output }: { e: RowExplanation; output?: string | null }) {
  const w = waterfall(e);
  const all = w.bars.flatMap((b) => [b.start, b.end]).concat([w.base]);
  const x = scale(Math.min(...all), Math.max(...all));
  const height = (w.bars.length + 2) * LANE;
  const label = OUTPUT_LABEL[output ?? ""] ?? output ?? "output";
  return (
    <div className="stack" style={{ gap: 4 }}>
      <h3 style={{ margin: 0 }}>Why this prediction</h3>
      <svg width="100%" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label="How each column moves this prediction" data-testid="shap-waterfall">
        <text x={LABEL - 8} y={LANE / 2 + 4} textAnchor="end" fontSize={12}>
          average
        </text>
        <text x={x(w.base) + 4} y={LANE / 2 + 4} fontSize={11} fill="#667085">
          {formatNumber(w.base, 4)}
        </text>
        {w.bars.map((b, i) => {
          const left = Math.min(x(b.start), x(b.end));
          const up = b.end >= b.start;
          return (
            <g key={b.label} transform={`translate(0, ${(i + 1) * LANE})`}>
              <text x={LABEL - 8} y={LANE / 2 + 4} textAnchor="end" fontSize={12}>
                {b.label}
              </text>
              <rect x={left} y={4} width={Math.max(1, Math.abs(x(b.end) - x(b.start)))} height={LANE - 10} fill={up ? POSITIVE : NEGATIVE} />
              <text x={Math.max(x(b.start), x(b.end)) + 4} y={LANE / 2 + 4} fontSize={11} fill="#667085">
                {up ? "+" : "−"}
                {formatNumber(Math.abs(b.end - b.start), 4)}
              </text>
            </g>
          );
        })}
        <text x={LABEL - 8} y={(w.bars.length + 1) * LANE + LANE / 2 + 4} textAnchor="end" fontSize={12} fontWeight={600}>
          this row
        </text>
        <text x={x(w.output) + 4} y={(w.bars.length + 1) * LANE + LANE / 2 + 4} fontSize={12} fontWeight={600}>
          {formatNumber(w.output, 4)}
        </text>
      </svg>
      <div className="muted small">From the average {label} to this row&apos;s, column by column (SHAP).</div>
    </div>
  );
}

export function ModelDownloads({ model }: { model: Model }) {
  const onnx = (model.formats ?? ["skops"]).includes("onnx");
  return (
    <>
      <a className="btn" href={apiUrl(`/models/${model.id}/download`)} download data-testid="download-model">
        <DownloadIcon /> Download (.skops)
      </a>
      {onnx ? (
        <a className="btn" href={apiUrl(`/models/${model.id}/download?format=onnx`)} download data-testid="download-onnx">
          <DownloadIcon /> ONNX
        </a>
      ) : (
        <span className="btn" aria-disabled="true" title={model.onnx_error ?? "No ONNX form"} data-testid="no-onnx" style={{ opacity: 0.55, cursor: "help" }}>
          ONNX unavailable
        </span>
      )}
    </>
  );
}
