// Normalises the plot data a run result carries ("plots are data, not images") into chart-ready shapes.
// Tolerant of a few natural encodings, since the engine owns the exact shape.

export interface Matrix {
  labels: string[];
  matrix: number[][];
}

export interface Curve {
  label: string;
  points: { x: number; y: number }[];
  auc?: number;
}

export interface Bar {
  name: string;
  value: number;
}

export interface Scatter {
  points: { x: number; y: number }[];
  xLabel: string;
  yLabel: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const nums = (v: unknown): number[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === "number" || x === null) ? (v as number[]).map((x) => x ?? NaN) : undefined;
const pick = (o: Record<string, unknown>, ...keys: string[]) => {
  for (const k of keys) if (k in o) return o[k];
  return undefined;
};

export function confusionMatrix(raw: unknown): Matrix | undefined {
  let matrix: unknown = raw;
  let labels: unknown;
  if (isObj(raw)) {
    matrix = pick(raw, "matrix", "values", "counts", "data");
    labels = pick(raw, "labels", "classes");
  }
  if (!Array.isArray(matrix) || !matrix.length || !matrix.every((r) => nums(r))) return undefined;
  const m = (matrix as number[][]).map((r) => r.map(Number));
  const names = Array.isArray(labels) && labels.length === m.length ? labels.map(String) : m.map((_, i) => String(i));
  return { labels: names, matrix: m };
}

function zip(xs: number[] | undefined, ys: number[] | undefined) {
  if (!xs || !ys) return undefined;
  const n = Math.min(xs.length, ys.length);
  const out: { x: number; y: number }[] = [];
  for (let i = 0; i < n; i++) if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) out.push({ x: xs[i], y: ys[i] });
  return out;
}

function oneCurve(o: unknown, xKey: string[], yKey: string[], label: string, aucKeys: string[]): Curve | undefined {
  if (Array.isArray(o) && o.every((p) => isObj(p) && typeof p.x === "number")) {
    return { label, points: (o as { x: number; y: number }[]).map((p) => ({ x: p.x, y: p.y })) };
  }
  if (!isObj(o)) return undefined;
  const points = zip(nums(pick(o, ...xKey)), nums(pick(o, ...yKey)));
  if (!points) return undefined;
  const auc = pick(o, ...aucKeys);
  const name = pick(o, "label", "class", "name");
  return { label: name != null ? String(name) : label, points, auc: typeof auc === "number" ? auc : undefined };
}

function curves(raw: unknown, xKey: string[], yKey: string[], aucKeys: string[]): Curve[] {
  const single = oneCurve(raw, xKey, yKey, "model", aucKeys);
  if (single) return [single];
  const list = isObj(raw) ? pick(raw, "curves", "classes_curves", "per_class") : raw;
  if (Array.isArray(list)) {
    return list.map((c, i) => oneCurve(c, xKey, yKey, `curve ${i + 1}`, aucKeys)).filter((c): c is Curve => !!c);
  }
  if (isObj(raw)) {
    return Object.entries(raw)
      .map(([k, v]) => oneCurve(v, xKey, yKey, k, aucKeys))
      .filter((c): c is Curve => !!c);
  }
  return [];
}

export const rocCurves = (raw: unknown) => curves(raw, ["fpr", "x"], ["tpr", "y"], ["auc", "roc_auc"]);
export const prCurves = (raw: unknown) =>
  curves(raw, ["recall", "x"], ["precision", "y"], ["average_precision", "ap", "auc"]);

export const calibrationCurves = (raw: unknown) => curves(raw, ["predicted", "mean_predicted"], ["observed", "fraction_positive"], []);

export function clusterSizes(raw: unknown): Bar[] {
  if (!isObj(raw)) return [];
  const names = pick(raw, "clusters", "labels");
  const sizes = nums(pick(raw, "sizes", "counts"));
  if (!Array.isArray(names) || !sizes) return [];
  return names.map((n, i) => ({ name: `cluster ${String(n)}`, value: sizes[i] })).filter((b) => Number.isFinite(b.value));
}

export function featureImportance(raw: unknown, limit = 15): Bar[] {
  let bars: Bar[] = [];
  if (Array.isArray(raw)) {
    bars = raw
      .filter(isObj)
      .map((o) => ({ name: String(pick(o, "feature", "name", "label") ?? "?"), value: Number(pick(o, "importance", "value", "score")) }));
  } else if (isObj(raw)) {
    const names = pick(raw, "features", "names", "labels");
    const values = nums(pick(raw, "importances", "values", "scores", "importance"));
    if (Array.isArray(names) && values) bars = names.map((n, i) => ({ name: String(n), value: values[i] }));
    else
      bars = Object.entries(raw)
        .filter(([, v]) => typeof v === "number")
        .map(([k, v]) => ({ name: k, value: v as number }));
  }
  return bars
    .filter((b) => Number.isFinite(b.value))
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
    .slice(0, limit);
}

export function actualVsPredicted(raw: unknown): Scatter | undefined {
  if (!isObj(raw)) return undefined;
  const points = zip(nums(pick(raw, "actual", "y_true", "true")), nums(pick(raw, "predicted", "y_pred", "pred")));
  return points ? { points, xLabel: "actual", yLabel: "predicted" } : undefined;
}

export function residuals(raw: unknown): Scatter | undefined {
  if (!isObj(raw)) return undefined;
  const pred = nums(pick(raw, "predicted", "y_pred", "fitted"));
  let res = nums(pick(raw, "residuals", "residual"));
  if (!res) {
    const actual = nums(pick(raw, "actual", "y_true"));
    if (actual && pred) res = actual.map((a, i) => a - pred[i]);
  }
  const points = zip(pred, res);
  return points ? { points, xLabel: "predicted", yLabel: "residual" } : undefined;
}

/** Downsamples long point lists evenly (charts stay responsive). */
export function thin<T>(points: T[], max = 400): T[] {
  if (points.length <= max) return points;
  const step = points.length / max;
  return Array.from({ length: max }, (_, i) => points[Math.floor(i * step)]);
}

/** Which metric is "better when higher"? (for highlighting the best branch). */
export function higherIsBetter(metric: string): boolean {
  return !/(loss|rmse|mae|mape|mse|error|davies_bouldin)/i.test(metric);
}

export function bestByMetric(rows: { id: string; metrics: Record<string, number> }[], metric: string): string | undefined {
  const scored = rows.filter((r) => typeof r.metrics[metric] === "number" && Number.isFinite(r.metrics[metric]));
  if (scored.length < 2) return undefined;
  const hi = higherIsBetter(metric);
  return scored.reduce((a, b) => ((hi ? b.metrics[metric] > a.metrics[metric] : b.metrics[metric] < a.metrics[metric]) ? b : a)).id;
}

/** Parses SSE event payloads: JSON when possible, else the text as `{message}`. */
export function parseEventData(data: string): Record<string, unknown> {
  try {
    const v = JSON.parse(data);
    return isObj(v) ? v : { value: v };
  } catch {
    return { message: data };
  }
}

/** One colour per model, the same in every chart of a run. */
export const MODEL_COLORS = ["#3b5bdb", "#e8590c", "#0ca678", "#ae3ec9", "#f59f00", "#1098ad", "#d6336c"];

export interface ModelCurves {
  model: string;
  color: string;
  curves: Curve[];
}

/**
 * Several models' curves of one plot on one chart: each model keeps its colour; a binary model's
 * single curve is named by the model, a multiclass model's curves by model and class.
 */
export function overlayCurves(models: { name: string; raw: unknown }[], parse: (raw: unknown) => Curve[]): ModelCurves[] {
  return models
    .map((m, i) => {
      const curves = parse(m.raw);
      const named = curves.map((c) => ({ ...c, label: curves.length === 1 ? m.name : `${m.name} · class ${c.label}` }));
      return { model: m.name, color: MODEL_COLORS[i % MODEL_COLORS.length], curves: named };
    })
    .filter((m) => m.curves.length > 0);
}

/** Timings (`*_seconds`, `*_s`, or a result's `timings`) are not metrics: kept apart, never ranked. */
export function splitTimings(metrics: Record<string, number>, timings?: Record<string, number> | null): { metrics: Record<string, number>; timings: Record<string, number> } {
  const scores: Record<string, number> = {};
  const times: Record<string, number> = { ...(timings ?? {}) };
  for (const [k, v] of Object.entries(metrics ?? {})) {
    if (/(_seconds|_s)$/.test(k)) times[k] = v;
    else scores[k] = v;
  }
  return { metrics: scores, timings: times };
}

/** An axis range hugging the values (0.95 vs 0.97 must look different), padded a little, never inverted. */
export function zoomedDomain(values: number[]): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (!finite.length) return [0, 1];
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = hi - lo || Math.abs(hi) * 0.1 || 1;
  const pad = span * 0.25;
  const from = lo >= 0 && lo - pad < 0 ? 0 : lo - pad;
  return [Number((from).toPrecision(4)), Number((hi + pad).toPrecision(4))];
}

/** How people name a metric: the catalog's label, else the key made readable. */
export function metricLabel(key: string, labels?: Record<string, string>): string {
  if (labels?.[key]) return labels[key];
  const s = key.replace(/_seconds$/, " (s)").replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}
