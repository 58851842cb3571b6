import { describe, expect, it } from "vitest";
import { swarm, waterfall } from "./shap";
import type { Explanation } from "./types";

const explanation: Explanation = {
  method: "shap.TreeExplainer",
  output: "probability",
  features: [
    { name: "age", mean_abs: 0.2 },
    { name: "sex", mean_abs: 0.1 },
  ],
  sample: {
    columns: ["sex", "age"],
    rows: [
      { sex: "male", age: 10 },
      { sex: "female", age: 30 },
      { sex: null, age: null },
    ],
    values: [
      [0.1, -0.3],
      [-0.1, 0.1],
      [0.1, 0.2],
    ],
    base_values: [0.4, 0.4, 0.4],
  },
};

describe("swarm", () => {
  it("puts one point per row in each feature's lane, largest impact first, shading numbers only", () => {
    const s = swarm(explanation);
    expect(s.features).toEqual(["age", "sex"]);
    expect(s.points).toHaveLength(6);
    const age = s.points.filter((p) => p.feature === "age");
    expect(age.map((p) => p.value).sort()).toEqual([-0.3, 0.1, 0.2]);
    expect(age.find((p) => p.row === 0)?.shade).toBe(0);
    expect(age.find((p) => p.row === 1)?.shade).toBe(1);
    expect(age.find((p) => p.row === 2)?.shade).toBeNull();
    expect(s.points.filter((p) => p.feature === "sex").every((p) => p.shade === null)).toBe(true);
    expect([s.min, s.max]).toEqual([-0.3, 0.2]);
  });

  it("stacks equal values apart", () => {
    const sex = swarm(explanation).points.filter((p) => p.feature === "sex" && p.value === 0.1);
    expect(new Set(sex.map((p) => p.offset)).size).toBe(2);
  });
});

describe("waterfall", () => {
  it("walks from the base value to the output, folding small contributions together", () => {
    const w = waterfall({ base_value: 0.5, contributions: { a: 0.2, b: -0.05, c: 0.01, d: -0.3 } }, 2);
    expect(w.bars.map((b) => b.label)).toEqual(["d", "a", "2 other columns"]);
    expect(w.bars[0]).toEqual({ label: "d", start: 0.5, end: 0.2 });
    expect(w.output).toBeCloseTo(0.36, 12);
    expect(w.bars.at(-1)?.end).toBeCloseTo(w.output, 12);
  });
});
