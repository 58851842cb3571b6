"use client";
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from "recharts";
import { formatNumber } from "@/lib/api";
import { calibrationCurves, MODEL_COLORS, overlayCurves, prCurves, residuals, rocCurves, thin, type Curve, type ModelCurves } from "@/lib/plots";
import type { RunResult } from "@/lib/types";

const DASHES = [undefined, "6 3", "2 2", "8 3 2 3"];

function OverlayCurves({ models, xLabel, yLabel, diagonal, testId, score }: { models: ModelCurves[]; xLabel: string; yLabel: string; diagonal?: boolean; testId: string; score?: string }) {
  const name = (c: Curve) => (c.auc != null && score ? `${c.label} · ${score} ${formatNumber(c.auc, 3)}` : c.label);
  return (
    <div data-testid={testId} data-models={models.length} style={{ width: "100%", height: 300 }}>
      <ResponsiveContainer>
        <LineChart margin={{ top: 8, right: 16, bottom: 18, left: 0 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis type="number" dataKey="x" domain={[0, 1]} tickCount={6} fontSize={11} label={{ value: xLabel, position: "insideBottom", offset: -8, fontSize: 12 }} />
          <YAxis type="number" dataKey="y" domain={[0, 1]} tickCount={6} fontSize={11} label={{ value: yLabel, angle: -90, position: "insideLeft", offset: 14, fontSize: 12 }} />
          <Tooltip formatter={(v) => formatNumber(Number(v), 3)} labelFormatter={(v) => `${xLabel} ${formatNumber(Number(v), 3)}`} />
          {diagonal && <ReferenceLine segment={[{ x: 0, y: 0 }, { x: 1, y: 1 }]} stroke="#c4c9d2" strokeDasharray="4 4" />}
          {models.flatMap((m) =>
            m.curves.map((c, k) => (
              <Line key={`${m.model}-${k}`} data={thin(c.points)} dataKey="y" name={name(c)} stroke={m.color} strokeDasharray={DASHES[k % DASHES.length]} dot={false} strokeWidth={2} isAnimationActive={false} />
            )),
          )}
          <Legend verticalAlign="top" height={28} wrapperStyle={{ fontSize: 12 }} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

function OverlayResiduals({ series }: { series: { name: string; color: string; points: { x: number; y: number }[] }[] }) {
  return (
    <div data-testid="overlay-residuals" data-models={series.length} style={{ width: "100%", height: 300 }}>
      <ResponsiveContainer>
        <ScatterChart margin={{ top: 8, right: 16, bottom: 18, left: 0 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis type="number" dataKey="x" name="predicted" fontSize={11} domain={["auto", "auto"]} label={{ value: "predicted", position: "insideBottom", offset: -8, fontSize: 12 }} />
          <YAxis type="number" dataKey="y" name="residual" fontSize={11} domain={["auto", "auto"]} label={{ value: "residual", angle: -90, position: "insideLeft", offset: 14, fontSize: 12 }} />
          <Tooltip formatter={(v) => formatNumber(Number(v), 4)} />
          <ReferenceLine y={0} stroke="#c4c9d2" strokeDasharray="4 4" />
          <ZAxis range={[14, 14]} />
          {series.map((s) => (
            <Scatter key={s.name} name={s.name} data={thin(s.points, 400)} fill={s.color} fillOpacity={0.5} isAnimationActive={false} />
          ))}
          <Legend verticalAlign="top" height={28} wrapperStyle={{ fontSize: 12 }} />
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Curves and residuals of every model in the run on shared axes: one colour per model, a legend. */
export function OverlayCharts({ results, nameOf }: { results: RunResult[]; nameOf: (r: RunResult) => string }) {
  const of = (key: string) => results.map((r) => ({ name: nameOf(r), raw: r.plots?.[key] }));
  const roc = overlayCurves(of("roc_curve"), rocCurves);
  const pr = overlayCurves(of("pr_curve"), prCurves);
  const cal = overlayCurves(of("calibration"), calibrationCurves);
  const res = results
    .map((r, i) => ({ name: nameOf(r), color: MODEL_COLORS[i % MODEL_COLORS.length], points: residuals(r.plots?.residuals)?.points ?? [] }))
    .filter((s) => s.points.length);
  const charts: [string, React.ReactNode][] = [];
  if (roc.length > 1) charts.push(["ROC curves", <OverlayCurves key="roc" testId="overlay-roc" models={roc} xLabel="false positive rate" yLabel="true positive rate" diagonal score="AUC" />]);
  if (pr.length > 1) charts.push(["Precision–recall curves", <OverlayCurves key="pr" testId="overlay-pr" models={pr} xLabel="recall" yLabel="precision" score="AP" />]);
  if (cal.length > 1) charts.push(["Calibration curves", <OverlayCurves key="cal" testId="overlay-calibration" models={cal} xLabel="predicted probability" yLabel="observed frequency" diagonal />]);
  if (res.length > 1) charts.push(["Residuals", <OverlayResiduals key="res" series={res} />]);
  if (!charts.length) return null;
  return (
    <div className="grid2" data-testid="overlays">
      {charts.map(([title, el]) => (
        <div key={title} className="card">
          <h3>{title}</h3>
          {el}
        </div>
      ))}
    </div>
  );
}
