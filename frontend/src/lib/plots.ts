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
