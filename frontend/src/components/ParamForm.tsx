"use client";
import { useEffect, useState } from "react";
import { paramLabel } from "@/lib/labels";
import { parseParamInput } from "@/lib/graph";
import type { Dataset, Issue, NodeTypeSpec, ParamSpec } from "@/lib/types";

export interface ParamFormProps {
  spec: NodeTypeSpec;
  nodeId: string;
  params: Record<string, unknown>;
  issues: Issue[];
  datasets: Dataset[];
  /** The dataset feeding this node (for column choosers). */
  columnsFrom?: Dataset;
  onChange: (name: string, value: unknown) => void;
}

function NumberInput({ p, value, onChange, invalid, id }: { p: ParamSpec; value: unknown; onChange: (v: unknown) => void; invalid: boolean; id: string }) {
  const external = value === null || value === undefined ? "" : String(value);
  const [text, setText] = useState(external);
  useEffect(() => {
    setText((t) => (parseParamInput(p, t) === value ? t : external));
  }, [external, value, p]);
  return (
    <input
      id={id}
      className={`input ${invalid ? "invalid" : ""}`}
      type="number"
      inputMode={p.type === "int" ? "numeric" : "decimal"}
      step={p.type === "int" ? 1 : "any"}
      min={p.min ?? undefined}
      max={p.max ?? undefined}
      value={text}
      placeholder={p.required ? "required" : "empty"}
      onChange={(e) => {
        setText(e.target.value);
        onChange(parseParamInput(p, e.target.value));
      }}
    />
  );
}

function MultiCheck({ options, value, onChange, label, labels }: { options: string[]; value: unknown; onChange: (v: string[]) => void; label: string; labels?: Record<string, string> | null }) {
  const chosen = new Set(Array.isArray(value) ? (value as string[]) : []);
  if (!options.length) return <div className="muted small">Choose a dataset upstream to list its columns.</div>;
  return (
    <div className="checklist" role="group" aria-label={label}>
      {options.map((o) => (
        <label key={o} className="check">
          <input
            type="checkbox"
            checked={chosen.has(o)}
            onChange={(e) => {
              const next = new Set(chosen);
              if (e.target.checked) next.add(o);
              else next.delete(o);
              onChange(options.filter((x) => next.has(x)));
            }}
          />
          {labels?.[o] ?? o}
        </label>
      ))}
    </div>
  );
}

export function ParamForm({ spec, nodeId, params, issues, datasets, columnsFrom, onChange }: ParamFormProps) {
  const own = spec.type === "dataset" ? datasets.find((d) => d.id === params.dataset_id) : columnsFrom;
  const columns = own?.columns.map((c) => c.name) ?? [];
  return (
    <form className="stack" style={{ gap: 14 }} onSubmit={(e) => e.preventDefault()} aria-label={`${spec.label} parameters`} data-testid="param-form">
      {(spec.params ?? []).map((p) => {
        const id = `param-${nodeId}-${p.name}`;
        const fieldIssues = issues.filter((i) => i.field === p.name);
        const invalid = fieldIssues.length > 0;
        const value = params[p.name] ?? null;
        let control: React.ReactNode;
        switch (p.type) {
          case "int":
          case "float":
            control = <NumberInput id={id} p={p} value={value} invalid={invalid} onChange={(v) => onChange(p.name, v)} />;
            break;
          case "bool":
            control = (
              <label className="check">
                <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(p.name, e.target.checked)} />
                {value === true ? "On" : "Off"}
              </label>
            );
            break;
          case "choice":
            control = (
              <select id={id} className={`input ${invalid ? "invalid" : ""}`} value={String(value ?? "")} onChange={(e) => onChange(p.name, parseParamInput(p, e.target.value))}>
                {!p.required && value === null && <option value="">—</option>}
                {(p.choices ?? []).map((c) => (
                  <option key={c} value={c}>
                    {p.choice_labels?.[c] ?? c}
                  </option>
                ))}
              </select>
            );
            break;
          case "multichoice":
            control = <MultiCheck label={paramLabel(p.name)} labels={p.choice_labels} options={p.choices ?? []} value={value} onChange={(v) => onChange(p.name, v)} />;
            break;
          case "dataset":
            control = (
              <select
                id={id}
                className={`input ${invalid ? "invalid" : ""}`}
                value={String(value ?? "")}
                data-testid="dataset-select"
                onChange={(e) => onChange(p.name, parseParamInput(p, e.target.value))}
              >
                <option value="">Choose a dataset…</option>
                {datasets.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name} ({d.row_count.toLocaleString()} rows)
                  </option>
                ))}
                {typeof value === "string" && value && !datasets.some((d) => d.id === value) && <option value={value}>unknown dataset {value.slice(0, 8)}</option>}
              </select>
            );
            break;
          case "column":
            control = (
              <select
                id={id}
                className={`input ${invalid ? "invalid" : ""}`}
                value={String(value ?? "")}
                data-testid={`column-select-${p.name}`}
                onChange={(e) => onChange(p.name, parseParamInput(p, e.target.value))}
                disabled={!columns.length && !value}
              >
                <option value="">{columns.length ? "Choose a column…" : "Choose a dataset first"}</option>
                {own?.columns.map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.name} · {c.dtype}
                    {c.missing ? ` · ${c.missing} missing` : ""}
                  </option>
                ))}
                {typeof value === "string" && value && !columns.includes(value) && <option value={value}>{value} (not in dataset)</option>}
              </select>
            );
            break;
          case "columns":
            control = (
              <MultiCheck
                label={paramLabel(p.name)}
                options={columns.filter((c) => spec.type !== "dataset" || c !== params.target)}
                value={value}
                onChange={(v) => onChange(p.name, v)}
              />
            );
            break;
          default:
            control = (
              <input id={id} className={`input ${invalid ? "invalid" : ""}`} value={String(value ?? "")} onChange={(e) => onChange(p.name, e.target.value)} />
            );
        }
        const groupLike = p.type === "multichoice" || p.type === "columns" || p.type === "bool";
        return (
          <div key={p.name} className="field" style={{ display: "flex", flexDirection: "column", gap: 4 }}>
            {groupLike ? (
              <span style={{ fontSize: 13, fontWeight: 550 }}>
                {paramLabel(p.name)}
                {p.required && <span style={{ color: "var(--danger)" }}> *</span>}
              </span>
            ) : (
              <label htmlFor={id} style={{ fontSize: 13, fontWeight: 550 }}>
                {paramLabel(p.name)}
                {p.required && <span style={{ color: "var(--danger)" }}> *</span>}
              </label>
            )}
            {control}
            {p.help && <span className="muted" style={{ fontSize: 12 }}>{p.help}</span>}
            {(p.min != null || p.max != null) && (p.type === "int" || p.type === "float") && (
              <span className="muted" style={{ fontSize: 11.5 }}>
                Range {p.min ?? "−∞"} – {p.max ?? "∞"}
              </span>
            )}
            {fieldIssues.map((i, k) => (
              <span key={k} className="field-error" role="alert" data-code={i.code}>
                {i.message}
              </span>
            ))}
          </div>
        );
      })}
      {!(spec.params ?? []).length && <div className="muted small">This step has no parameters.</div>}
    </form>
  );
}
