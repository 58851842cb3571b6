// How the UI names parameters, values and what a port wants: the user's words, never keys or kinds.
import type { ParamSpec, Port, PortKind } from "./types";

const PARAM_LABELS: Record<string, string> = { dataset_id: "Dataset", time_budget_s: "Time budget (s)", max_iter: "Max iterations", n_estimators: "Trees", C: "C" };

/** A parameter's name as a person reads it (`min_samples_leaf` → "Min samples leaf"). */
export function paramLabel(name: string): string {
  if (PARAM_LABELS[name]) return PARAM_LABELS[name];
  const s = name.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A parameter's value as the form shows it: a choice by its label, a list joined, nothing as "—". */
export function valueLabel(spec: ParamSpec | undefined, value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.map((v) => valueLabel(spec, v)).join(", ");
  if (typeof value === "boolean") return value ? "on" : "off";
  return spec?.choice_labels?.[String(value)] ?? String(value);
}

const KIND_WORDS: Record<PortKind, string> = { data: "a data source", model: "a model", evaluation: "an Evaluate step" };

/** What a port carries or wants, in words ("a model", "an Evaluate step or a model"). */
export function kindWords(kinds: PortKind[]): string {
  return kinds.map((k) => KIND_WORDS[k] ?? k).join(" or ");
}

export function portWants(port: Port): string {
  return kindWords(port.accepts?.length ? port.accepts : [port.kind]);
}
