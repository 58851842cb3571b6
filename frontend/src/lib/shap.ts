// Layout for SHAP plots (pure, unit-tested): the beeswarm's points, a waterfall's bars.
import type { Explanation, RowExplanation } from "./types";

export interface SwarmPoint {
  feature: string;
  row: number;
  value: number;
  /** 0..1 position of the row's feature value among the sample's values (null: text or missing). */
  shade: number | null;
  /** Vertical offset within the feature's lane, -1..1, so equal SHAP values do not hide each other. */
  offset: number;
}

/** One lane per feature (largest mean |SHAP| first, at most `limit`), a point per sampled row. */
export function swarm(e: Explanation, limit = 12): { features: string[]; points: SwarmPoint[]; min: number; max: number } {
  const features = e.features.slice(0, limit).map((f) => f.name);
  const points: SwarmPoint[] = [];
  let min = 0;
  let max = 0;
  for (const name of features) {
    const j = e.sample.columns.indexOf(name);
    if (j < 0) continue;
    const raw = e.sample.rows.map((r) => r[name]);
    const numbers = raw.filter((v): v is number => typeof v === "number");
    const lo = Math.min(...numbers);
    const hi = Math.max(...numbers);
    const lane = e.sample.values.map((v, row) => ({ row, value: v[j] }));
    lane.sort((a, b) => a.value - b.value);
    const span = Math.max(1e-12, (lane.at(-1)?.value ?? 0) - (lane[0]?.value ?? 0));
    let previous = -Infinity;
    let stack = 0;
    for (const { row, value } of lane) {
      // Points closer than 1/60 of the lane's span stack up and down alternately.
      stack = (value - previous) / span < 1 / 60 ? stack + 1 : 0;
      previous = value;
      const offset = stack === 0 ? 0 : ((stack % 2 ? 1 : -1) * Math.ceil(stack / 2)) / 6;
      const v = raw[row];
      points.push({
        feature: name,
        row,
        value,
        shade: typeof v === "number" && hi > lo ? (v - lo) / (hi - lo) : typeof v === "number" ? 0.5 : null,
        offset: Math.max(-1, Math.min(1, offset)),
      });
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
  }
  return { features, points, min, max };
}

export interface WaterfallBar {
  label: string;
  start: number;
  end: number;
}

/** Bars from the base value to the output: the largest contributions each, the rest as one bar. */
export function waterfall(e: RowExplanation, limit = 10): { bars: WaterfallBar[]; base: number; output: number } {
  const items = Object.entries(e.contributions).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  const shown = items.slice(0, limit);
  const rest = items.slice(limit).reduce((s, [, v]) => s + v, 0);
  const bars: WaterfallBar[] = [];
  let at = e.base_value;
  for (const [label, v] of shown) {
    bars.push({ label, start: at, end: at + v });
    at += v;
  }
  if (items.length > limit) {
    bars.push({ label: `${items.length - limit} other columns`, start: at, end: at + rest });
    at += rest;
  }
  return { bars, base: e.base_value, output: at };
}

export const OUTPUT_LABEL: Record<string, string> = {
  probability: "probability of the predicted class",
  log_odds: "log-odds of the predicted class",
  decision: "decision score of the predicted class",
  value: "predicted value",
};
