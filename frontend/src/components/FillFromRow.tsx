"use client";
import { useState } from "react";
import { api } from "@/lib/api";
import type { Feature, Preview } from "@/lib/types";
import { errorText } from "./Providers";

/** A dataset row's values for the model's features, as the form's text (missing cells stay empty). */
export function rowValues(preview: Preview, features: Feature[]): Record<string, string> {
  const row = preview.rows[0] ?? [];
  const out: Record<string, string> = {};
  for (const f of features) {
    const i = preview.columns.indexOf(f.name);
    const v = i >= 0 ? row[i] : null;
    out[f.name] = v === null || v === undefined ? "" : String(v);
  }
  return out;
}

/** "Fill from row N of the training table": loads one row of the model's dataset into the form. */
export function FillFromRow({ datasetId, features, onFill }: { datasetId: string; features: Feature[]; onFill: (values: Record<string, string>) => void }) {
  const [row, setRow] = useState("1");
  const [error, setError] = useState<string | null>(null);
  async function fill() {
    setError(null);
    const n = Math.max(1, Math.floor(Number(row) || 1));
    try {
      const preview = await api<Preview>(`/datasets/${datasetId}/preview?limit=1&offset=${n - 1}`);
      if (!preview.rows.length) setError(`The dataset has ${preview.total_rows.toLocaleString()} rows`);
      else onFill(rowValues(preview, features));
    } catch (e) {
      setError(errorText(e));
    }
  }
  return (
    <div className="row small" data-testid="fill-from-row">
      <span>Fill from row</span>
      <input className="input" type="number" min={1} style={{ width: 90, height: 28 }} value={row} onChange={(e) => setRow(e.target.value)} aria-label="Dataset row number" />
      <span>of the training dataset</span>
      <button type="button" className="btn sm" onClick={fill} data-testid="fill-row">
        Fill
      </button>
      {error && <span className="field-error">{error}</span>}
    </div>
  );
}
