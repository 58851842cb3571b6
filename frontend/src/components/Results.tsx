"use client";
import Link from "next/link";
import { useState } from "react";
import { useCatalog } from "./hooks";
import { OverlayCharts } from "./Overlay";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from "recharts";
import { formatNumber } from "@/lib/api";
import {
  actualVsPredicted,
  bestByMetric,
  calibrationCurves,
  clusterSizes,
  confusionMatrix,
  featureImportance,
  higherIsBetter,
  metricLabel,
  prCurves,
  splitTimings,
  zoomedDomain,
  residuals,
  rocCurves,
  thin,
  type Curve,
  type Matrix,
  type Scatter as ScatterData,
} from "@/lib/plots";
import type { RunResult } from "@/lib/types";

const PALETTE = ["#3b5bdb", "#e8590c", "#0ca678", "#ae3ec9", "#f59f00", "#1098ad", "#d6336c"];

/** The catalog's names for metrics ("Balanced accuracy"). */
export function useMetricName(): (key: string) => string {
  const labels = useCatalog().data?.metric_labels;
  return (key) => metricLabel(key, labels);
}

/** The metric a result leads with: the one its node optimised, else its first. */
export function headlineMetric(result: Pick<RunResult, "metrics" | "primary_metric">): string | undefined {
  const { metrics } = splitTimings(result.metrics ?? {});
  if (result.primary_metric && result.primary_metric in metrics) return result.primary_metric;
  return Object.keys(metrics)[0];
}

export function MetricCards({ result }: { result: Pick<RunResult, "metrics" | "primary_metric" | "timings"> }) {
  const name = useMetricName();
  const { metrics, timings } = splitTimings(result.metrics ?? {}, result.timings);
  const primary = headlineMetric(result);
  const entries = Object.entries(metrics).sort(([a], [b]) => Number(b === primary) - Number(a === primary));
  if (!entries.length) return <div className="muted small">No metrics reported.</div>;
  return (
    <div className="stack" style={{ gap: 8 }}>
      <div className="stats" data-testid="metric-cards">
        {entries.map(([k, v]) => (
          <div key={k} className={`stat ${k === primary ? "best" : ""}`} data-testid={`metric-${k}`} title={k === primary ? "the metric this step optimised" : undefined}>
            <div className="label">
              {name(k)}
              {k === primary ? " · optimised" : ""}
            </div>
            <div className="value">{formatNumber(v)}</div>
          </div>
        ))}
      </div>
      <Timings timings={timings} />
    </div>
  );
}

function Timings({ timings }: { timings: Record<string, number> }) {
  const name = useMetricName();
  const entries = Object.entries(timings);
  if (!entries.length) return null;
  return (
    <div className="muted small" data-testid="timings">
      Time taken: {entries.map(([k, v]) => `${name(k).replace(/ \(s\)$/, "")} ${formatNumber(v, 3)} s`).join(" · ")}
    </div>
  );
}

export function ConfusionMatrixView({ data }: { data: Matrix }) {
  const max = Math.max(1, ...data.matrix.flat());
  const n = data.labels.length;
  return (
    <div data-testid="confusion-matrix" role="table" aria-label="Confusion matrix: rows are actual classes, columns predicted">
      <div className="muted small" style={{ marginBottom: 6 }}>
        rows: actual · columns: predicted
      </div>
      <div className="cm" style={{ gridTemplateColumns: `auto repeat(${n}, minmax(48px, 1fr))` }}>
        <div />
        {data.labels.map((l) => (
          <div key={`h${l}`} className="lbl" role="columnheader" title={l}>
            {l}
          </div>
        ))}
        {data.matrix.map((row, i) => (
          <div key={i} style={{ display: "contents" }} role="row">
            <div className="lbl" role="rowheader" title={data.labels[i]}>
              {data.labels[i]}
            </div>
            {row.map((v, j) => {
              const t = v / max;
              const diag = i === j;
              const bg = diag ? `rgba(18, 145, 90, ${0.1 + t * 0.8})` : `rgba(217, 45, 32, ${0.06 + t * 0.7})`;
              return (
                <div key={j} className="cell" role="cell" style={{ background: bg, color: t > 0.55 ? "#fff" : "var(--text)" }} title={`actual ${data.labels[i]}, predicted ${data.labels[j]}: ${v}`}>
                  {formatNumber(v)}
                </div>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}

export function CurveChart({ curves, xLabel, yLabel, diagonal, testId, aucName = "AUC" }: { curves: Curve[]; xLabel: string; yLabel: string; diagonal?: boolean; testId: string; aucName?: string }) {
  return (
    <div data-testid={testId} style={{ width: "100%", height: 260 }}>
      <ResponsiveContainer>
        <LineChart margin={{ top: 8, right: 16, bottom: 18, left: 0 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis type="number" dataKey="x" domain={[0, 1]} tickCount={6} label={{ value: xLabel, position: "insideBottom", offset: -8, fontSize: 12 }} fontSize={11} />
          <YAxis type="number" dataKey="y" domain={[0, 1]} tickCount={6} fontSize={11} label={{ value: yLabel, angle: -90, position: "insideLeft", offset: 14, fontSize: 12 }} />
          <Tooltip formatter={(v) => formatNumber(Number(v), 3)} labelFormatter={(v) => `${xLabel} ${formatNumber(Number(v), 3)}`} />
          {diagonal && <ReferenceLine segment={[{ x: 0, y: 0 }, { x: 1, y: 1 }]} stroke="#c4c9d2" strokeDasharray="4 4" />}
          {curves.map((c, i) => (
            <Line
              key={c.label + i}
              data={thin(c.points)}
              dataKey="y"
              name={c.auc != null ? `class ${c.label} · ${aucName} ${formatNumber(c.auc, 3)}` : `class ${c.label}`}
              stroke={PALETTE[i % PALETTE.length]}
              dot={false}
              strokeWidth={2}
              isAnimationActive={false}
            />
          ))}
          {curves.length > 1 || curves[0]?.auc != null ? <Legend verticalAlign="top" height={24} wrapperStyle={{ fontSize: 12 }} /> : null}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

export function ImportanceBars({ bars }: { bars: { name: string; value: number }[] }) {
  return (
    <div data-testid="feature-importance" style={{ width: "100%", height: Math.max(160, bars.length * 24 + 30) }}>
      <ResponsiveContainer>
        <BarChart data={bars} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid stroke="#eef0f3" horizontal={false} />
          <XAxis type="number" fontSize={11} />
          <YAxis type="category" dataKey="name" width={120} fontSize={11} interval={0} />
          <Tooltip formatter={(v) => formatNumber(Number(v), 4)} />
          <Bar dataKey="value" fill="#6172f3" radius={[0, 3, 3, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function ScatterPlot({ data, diagonal, zeroLine, testId }: { data: ScatterData; diagonal?: boolean; zeroLine?: boolean; testId: string }) {
  const pts = thin(data.points, 600);
  const xs = pts.map((p) => p.x);
  const lo = Math.min(...xs, ...(diagonal ? pts.map((p) => p.y) : []));
  const hi = Math.max(...xs, ...(diagonal ? pts.map((p) => p.y) : []));
  return (
    <div data-testid={testId} style={{ width: "100%", height: 260 }}>
      <ResponsiveContainer>
        <ScatterChart margin={{ top: 8, right: 16, bottom: 18, left: 0 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis type="number" dataKey="x" name={data.xLabel} fontSize={11} domain={["auto", "auto"]} label={{ value: data.xLabel, position: "insideBottom", offset: -8, fontSize: 12 }} />
          <YAxis type="number" dataKey="y" name={data.yLabel} fontSize={11} domain={["auto", "auto"]} label={{ value: data.yLabel, angle: -90, position: "insideLeft", offset: 14, fontSize: 12 }} />
          <Tooltip formatter={(v) => formatNumber(Number(v), 4)} />
          {diagonal && Number.isFinite(lo) && <ReferenceLine segment={[{ x: lo, y: lo }, { x: hi, y: hi }]} stroke="#c4c9d2" strokeDasharray="4 4" />}
          {zeroLine && <ReferenceLine y={0} stroke="#c4c9d2" strokeDasharray="4 4" />}
          <ZAxis range={[14, 14]} />
          <Scatter data={pts} fill="#3b5bdb" fillOpacity={0.5} isAnimationActive={false} />
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}

export function Leaderboard({ rows, metric }: { rows: NonNullable<RunResult["leaderboard"]>; metric?: string }) {
  const name = useMetricName();
  const sorted = [...rows].sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity));
  return (
    <div className="table-wrap" style={{ maxHeight: 320 }}>
      <table className="table" data-testid="leaderboard">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Algorithm</th>
            <th className="num" data-testid="leaderboard-score">{metric ? `${name(metric)} (cross-validated)` : "Score"}</th>
            <th className="num">Fit (s)</th>
            <th>Params</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((r, i) => (
            <tr key={i} className={i === 0 ? "best" : ""}>
              <td className="num">{i + 1}</td>
              <td>{r.algorithm}</td>
              <td className="num">{formatNumber(r.score)}</td>
              <td className="num">{formatNumber(r.fit_seconds, 3)}</td>
              <td className="small muted" style={{ whiteSpace: "normal", maxWidth: 380 }}>
                {Object.entries(r.params ?? {})
                  .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
                  .join(", ")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Plots({ result, compact }: { result: RunResult; compact?: boolean }) {
  const name = useMetricName();
  const primaryName = result.primary_metric ? name(result.primary_metric).toLowerCase() : "";
  const p = result.plots ?? {};
  const cm = confusionMatrix(p.confusion_matrix);
  const roc = rocCurves(p.roc_curve);
  const pr = prCurves(p.pr_curve);
  const fi = featureImportance(p.feature_importance, compact ? 8 : 15);
  const cal = calibrationCurves(p.calibration);
  const clusters = clusterSizes(p.cluster_sizes);
  const avp = actualVsPredicted(p.actual_vs_predicted ?? p.residuals);
  const res = residuals(p.residuals ?? p.actual_vs_predicted);
  const items: [string, React.ReactNode][] = [];
  if (cm) items.push(["Confusion matrix", <ConfusionMatrixView key="cm" data={cm} />]);
  if (roc.length) items.push(["ROC curve", <CurveChart key="roc" testId="roc-curve" curves={roc} xLabel="false positive rate" yLabel="true positive rate" diagonal />]);
  if (pr.length) items.push(["Precision–recall", <CurveChart key="pr" testId="pr-curve" curves={pr} xLabel="recall" yLabel="precision" aucName="AP" />]);
  if (avp) items.push(["Actual vs predicted", <ScatterPlot key="avp" testId="actual-vs-predicted" data={avp} diagonal />]);
  if (res) items.push(["Residuals", <ScatterPlot key="res" testId="residuals" data={res} zeroLine />]);
  if (fi.length)
    items.push([
      "Feature importance",
      <div key="fi">
        <p className="muted small" style={{ marginTop: 0 }} data-testid="importance-help">
          How much {result.primary_metric ? `the ${primaryName}` : "the score"} drops when a feature&apos;s values are shuffled on held-out rows: the longer the bar, the more the
          model relies on it. Near zero: it barely uses it. Negative: shuffling helped, so the feature is noise to this model.
        </p>
        <ImportanceBars bars={fi} />
      </div>,
    ]);
  if (cal.length && !compact) items.push(["Calibration", <CurveChart key="cal" testId="calibration" curves={cal} xLabel="predicted probability" yLabel="observed frequency" diagonal />]);
  if (clusters.length) items.push(["Cluster sizes", <ImportanceBars key="cl" bars={clusters} />]);
  if (!items.length)
    return (
      <div className="card muted small" data-testid="no-plots">
        No plots for this model. Connect a <strong>Visualize</strong> step after its Evaluate (or model) step to get a confusion matrix, curves, residuals and
        feature importance.
      </div>
    );
  return (
    <div className={compact ? "stack" : "grid2"}>
      {items.map(([title, el]) => (
        <div key={title} className="card">
          <h3>{title}</h3>
          {el}
        </div>
      ))}
    </div>
  );
}

export function ResultDetail({ result, label }: { result: RunResult; label: string }) {
  return (
    <section className="stack" aria-label={`Results for ${label}`} data-testid="result-detail">
      <div className="row wrap">
        <h2 style={{ margin: 0 }}>{label}</h2>
        <span className="badge">{result.algorithm}</span>
        <span className="badge">{result.task}</span>
        <span className="spacer" />
        {result.model_id && (
          <Link className="btn" href={`/models/view/?id=${result.model_id}`} data-testid="open-model">
            Open model →
          </Link>
        )}
      </div>
      <MetricCards result={result} />
      {result.leaderboard?.length ? (
        <div className="card flush">
          <div className="card-head">
            <h2>Leaderboard</h2>
            <span className="muted small">{result.leaderboard.length} trials</span>
          </div>
          <Leaderboard rows={result.leaderboard} metric={result.primary_metric ?? undefined} />
          <p className="muted small" data-testid="search-reproducibility">
            A search bounded by its time budget can differ between runs with the same seed (how many trials fit depends on
            the machine). Set “Max trials” for a search that repeats exactly.
          </p>
        </div>
      ) : null}
      <Plots result={result} />
    </section>
  );
}

export function Comparison({ results, labels }: { results: RunResult[]; labels: Map<string, string> }) {
  const name = useMetricName();
  const split = results.map((r) => splitTimings(r.metrics ?? {}, r.timings));
  const metrics = [...new Set(split.flatMap((x) => Object.keys(x.metrics)))];
  const timingKeys = [...new Set(split.flatMap((x) => Object.keys(x.timings)))];
  const rows = results.map((r, i) => ({ id: r.node_id, metrics: split[i].metrics }));
  const best = new Map(metrics.map((m) => [m, bestByMetric(rows, m)]));
  const headline = results.map(headlineMetric).find(Boolean) ?? metrics[0];
  const [picked, setPicked] = useState<string | undefined>(undefined);
  const shown = picked && metrics.includes(picked) ? picked : headline;
  const nameOf = (r: RunResult) => labels.get(r.node_id) ?? r.algorithm;
  const chart = shown ? results.map((r, i) => ({ name: nameOf(r), value: split[i].metrics[shown] })) : [];
  const domain = zoomedDomain(chart.map((c) => c.value));
  return (
    <section className="stack" aria-label="Model comparison" data-testid="comparison">
      <div className="card flush">
        <div className="card-head">
          <h2>Side by side</h2>
          <span className="muted small">best value per metric highlighted</span>
        </div>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Model</th>
                {metrics.map((m) => (
                  <th key={m} className="num" title={higherIsBetter(m) ? "higher is better" : "lower is better"}>
                    {name(m)} {higherIsBetter(m) ? "↑" : "↓"}
                  </th>
                ))}
                {timingKeys.map((t) => (
                  <th key={t} className="num muted" data-testid="timing-column">
                    {name(t)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {results.map((r, i) => (
                <tr key={r.node_id}>
                  <td>
                    <strong>{nameOf(r)}</strong>
                    {r.model_id && (
                      <>
                        {" "}
                        <Link href={`/models/view/?id=${r.model_id}`} className="small">
                          model
                        </Link>
                      </>
                    )}
                  </td>
                  {metrics.map((m) => (
                    <td key={m} className="num" style={best.get(m) === r.node_id ? { background: "var(--success-soft)", fontWeight: 650 } : undefined}>
                      {formatNumber(split[i].metrics[m])}
                    </td>
                  ))}
                  {timingKeys.map((t) => (
                    <td key={t} className="num muted">
                      {formatNumber(split[i].timings[t], 3)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      {shown && (
        <div className="card">
          <div className="row">
            <h3 style={{ margin: 0 }}>{name(shown)}</h3>
            <span className="muted small">{higherIsBetter(shown) ? "higher is better" : "lower is better"} · axis zoomed to the values</span>
            <span className="spacer" />
            <label className="small">
              Metric{" "}
              <select className="input" style={{ height: 28, width: "auto" }} value={shown} onChange={(e) => setPicked(e.target.value)} data-testid="compare-metric">
                {metrics.map((m) => (
                  <option key={m} value={m}>
                    {name(m)}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div style={{ width: "100%", height: 60 + results.length * 34 }} data-testid="compare-chart" data-domain={domain.join(",")}>
            <ResponsiveContainer>
              <BarChart data={chart} layout="vertical" margin={{ left: 8, right: 24 }}>
                <CartesianGrid stroke="#eef0f3" horizontal={false} />
                <XAxis type="number" fontSize={11} domain={domain} allowDataOverflow tickFormatter={(v) => formatNumber(Number(v), 3)} />
                <YAxis type="category" dataKey="name" width={160} fontSize={12} />
                <Tooltip formatter={(v) => formatNumber(Number(v))} />
                <Bar dataKey="value" fill="#3b5bdb" radius={[0, 3, 3, 0]} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </div>
      )}
      <OverlayCharts results={results} nameOf={nameOf} />
      <div style={{ display: "grid", gridTemplateColumns: `repeat(${Math.min(results.length, 3)}, minmax(0, 1fr))`, gap: 16 }}>
        {results.map((r) => (
          <div key={r.node_id} className="stack">
            <h3 style={{ margin: 0 }}>{nameOf(r)}</h3>
            <Plots result={r} compact />
          </div>
        ))}
      </div>
    </section>
  );
}

export function ResultsTabs({ results, labels }: { results: RunResult[]; labels: Map<string, string> }) {
  const [tab, setTab] = useState<string>(results.length > 1 ? "compare" : results[0]?.node_id ?? "");
  const current = results.find((r) => r.node_id === tab);
  return (
    <div>
      {results.length > 1 && (
        <div className="tabs" role="tablist" aria-label="Results">
          <button role="tab" aria-selected={tab === "compare"} onClick={() => setTab("compare")} data-testid="tab-compare">
            Compare
          </button>
          {results.map((r) => (
            <button key={r.node_id} role="tab" aria-selected={tab === r.node_id} onClick={() => setTab(r.node_id)}>
              {labels.get(r.node_id) ?? r.algorithm}
            </button>
          ))}
        </div>
      )}
      {tab === "compare" && results.length > 1 ? (
        <Comparison results={results} labels={labels} />
      ) : current ? (
        <ResultDetail result={current} label={labels.get(current.node_id) ?? current.algorithm} />
      ) : results[0] ? (
        <ResultDetail result={results[0]} label={labels.get(results[0].node_id) ?? results[0].algorithm} />
      ) : null}
    </div>
  );
}
