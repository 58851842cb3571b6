import { describe, expect, it } from "vitest";
import { calibrationCurves, clusterSizes, metricLabel, overlayCurves, splitTimings, zoomedDomain } from "./plots";
import { actualVsPredicted, bestByMetric, confusionMatrix, featureImportance, parseEventData, prCurves, residuals, rocCurves, thin } from "./plots";

describe("plot normalisers", () => {
  it("confusion matrix", () => {
    expect(confusionMatrix({ labels: [0, 1], matrix: [[5, 1], [2, 7]] })).toEqual({ labels: ["0", "1"], matrix: [[5, 1], [2, 7]] });
    expect(confusionMatrix([[1, 2], [3, 4]])?.labels).toEqual(["0", "1"]);
    expect(confusionMatrix({ nope: 1 })).toBeUndefined();
  });

  it("roc and pr curves in several encodings", () => {
    expect(rocCurves({ fpr: [0, 0.5, 1], tpr: [0, 0.8, 1], auc: 0.9 })).toEqual([
      { label: "model", points: [{ x: 0, y: 0 }, { x: 0.5, y: 0.8 }, { x: 1, y: 1 }], auc: 0.9 },
    ]);
    expect(rocCurves({ curves: [{ label: "a", fpr: [0, 1], tpr: [0, 1] }] })[0].label).toBe("a");
    expect(rocCurves({ cat: { fpr: [0, 1], tpr: [0, 1] }, dog: { fpr: [0, 1], tpr: [0, 1] } }).map((c) => c.label)).toEqual(["cat", "dog"]);
    expect(prCurves({ precision: [1, 0.5], recall: [0, 1] })[0].points).toEqual([{ x: 0, y: 1 }, { x: 1, y: 0.5 }]);
  });

  it("feature importance sorted by magnitude", () => {
    expect(featureImportance({ features: ["a", "b"], importances: [0.1, 0.7] }).map((b) => b.name)).toEqual(["b", "a"]);
    expect(featureImportance([{ feature: "x", importance: 2 }])).toEqual([{ name: "x", value: 2 }]);
    expect(featureImportance({ a: 1, b: -3 }).map((b) => b.name)).toEqual(["b", "a"]);
  });

  it("scatter plots", () => {
    expect(actualVsPredicted({ actual: [1, 2], predicted: [1.5, 2] })?.points).toEqual([{ x: 1, y: 1.5 }, { x: 2, y: 2 }]);
    expect(residuals({ actual: [1, 2], predicted: [1.5, 2] })?.points).toEqual([{ x: 1.5, y: -0.5 }, { x: 2, y: 0 }]);
    expect(residuals({ predicted: [1], residuals: [0.2] })?.points).toEqual([{ x: 1, y: 0.2 }]);
  });

  it("thins and picks the best", () => {
    expect(thin([1, 2, 3, 4], 2)).toEqual([1, 3]);
    const rows = [
      { id: "a", metrics: { accuracy: 0.8, log_loss: 0.5 } },
      { id: "b", metrics: { accuracy: 0.9, log_loss: 0.6 } },
    ];
    expect(bestByMetric(rows, "accuracy")).toBe("b");
    expect(bestByMetric(rows, "log_loss")).toBe("a");
    expect(bestByMetric(rows.slice(0, 1), "accuracy")).toBeUndefined();
  });

  it("reads the worker engine's shapes", () => {
    const roc = { curves: [{ label: 1, fpr: [0, 0.2, 1], tpr: [0, 0.7, 1], auc: 0.85 }] };
    expect(rocCurves(roc)).toEqual([{ label: "1", auc: 0.85, points: [{ x: 0, y: 0 }, { x: 0.2, y: 0.7 }, { x: 1, y: 1 }] }]);
    const pr = { curves: [{ label: "yes", recall: [0, 1], precision: [1, 0.4], average_precision: 0.7 }] };
    expect(prCurves(pr)[0]).toMatchObject({ label: "yes", auc: 0.7 });
    expect(calibrationCurves({ curves: [{ label: 1, predicted: [0.1, 0.9], observed: [0.2, 0.8] }] })[0].points).toEqual([{ x: 0.1, y: 0.2 }, { x: 0.9, y: 0.8 }]);
    expect(featureImportance({ features: ["sex", "age"], importance: [0.2, 0.05], std: [0.01, 0.01] })[0]).toEqual({ name: "sex", value: 0.2 });
    expect(residuals({ predicted: [1, 2], residual: [0.5, -0.5], histogram: { counts: [1], edges: [0, 1] } })?.points).toHaveLength(2);
    expect(clusterSizes({ clusters: [0, 1], sizes: [10, 5] })).toEqual([{ name: "cluster 0", value: 10 }, { name: "cluster 1", value: 5 }]);
    expect(confusionMatrix({ labels: [0, 1], matrix: [[100, 10], [20, 50]] })?.labels).toEqual(["0", "1"]);
  });

  it("parses event data", () => {
    expect(parseEventData('{"fraction":0.5}')).toEqual({ fraction: 0.5 });
    expect(parseEventData("hello")).toEqual({ message: "hello" });
  });
});

describe("comparing models", () => {
  it("overlays each model's curves in its own colour, named by the model", () => {
    const binary = { curves: [{ label: "1", fpr: [0, 1], tpr: [0, 1], auc: 0.8 }] };
    const multi = { curves: [{ label: "a", fpr: [0, 1], tpr: [0, 1] }, { label: "b", fpr: [0, 1], tpr: [0, 1] }] };
    const out = overlayCurves(
      [
        { name: "Random forest", raw: binary },
        { name: "Nothing", raw: undefined },
        { name: "Logistic regression", raw: multi },
      ],
      rocCurves,
    );
    expect(out.map((m) => m.model)).toEqual(["Random forest", "Logistic regression"]);
    expect(out[0].curves[0].label).toBe("Random forest");
    expect(out[1].curves.map((c) => c.label)).toEqual(["Logistic regression · class a", "Logistic regression · class b"]);
    expect(out[0].color).not.toBe(out[1].color);
  });

  it("keeps timings apart from metrics", () => {
    const { metrics, timings } = splitTimings({ accuracy: 0.9, refit_seconds: 1.2, search_s: 3 }, { evaluate_s: 0.1 });
    expect(metrics).toEqual({ accuracy: 0.9 });
    expect(timings).toEqual({ evaluate_s: 0.1, refit_seconds: 1.2, search_s: 3 });
  });

  it("zooms the axis to the values so close scores look different", () => {
    const [lo, hi] = zoomedDomain([0.95, 0.97]);
    expect(lo).toBeGreaterThan(0.9);
    expect(lo).toBeLessThan(0.95);
    expect(hi).toBeGreaterThan(0.97);
    expect(hi).toBeLessThan(1);
    expect(zoomedDomain([0.01, 0.5])[0]).toBe(0);
    expect(zoomedDomain([-3, -1])[0]).toBeLessThan(-3);
    const [a, b] = zoomedDomain([2, 2]);
    expect(a).toBeLessThan(2);
    expect(b).toBeGreaterThan(2);
  });

  it("names metrics as people do", () => {
    expect(metricLabel("balanced_accuracy", { balanced_accuracy: "Balanced accuracy" })).toBe("Balanced accuracy");
    expect(metricLabel("refit_seconds")).toBe("Refit (s)");
  });
});
