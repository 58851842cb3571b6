"use client";
import { useState } from "react";
import { CATEGORY_LABELS, groupByCategory } from "@/lib/graph";
import type { Catalog, NodeTypeSpec } from "@/lib/types";
import { CATEGORY_COLORS } from "../StepNode";

export const DND_TYPE = "application/x-automl-node";

/** The steps the catalog offers, by category: click to add (after the selected step), drag to place. */
export function Palette({ catalog, onAdd }: { catalog: Catalog; onAdd: (spec: NodeTypeSpec) => void }) {
  const [filter, setFilter] = useState("");
  const groups = groupByCategory(
    catalog.node_types.filter((t) => !filter || `${t.label} ${t.type} ${t.description}`.toLowerCase().includes(filter.toLowerCase())),
  );
  return (
    <aside className="palette" aria-label="Node palette" data-testid="palette">
      <input className="input" placeholder="Search steps…" aria-label="Search steps" value={filter} onChange={(e) => setFilter(e.target.value)} />
      {groups.map(([cat, types]) => (
        <section key={cat} aria-label={CATEGORY_LABELS[cat] ?? cat}>
          <h3>{CATEGORY_LABELS[cat] ?? cat}</h3>
          {types.map((t) => (
            <button
              key={t.type}
              type="button"
              className="palette-item"
              draggable
              title={`${t.description} (click to add after the selected step, or drag onto the canvas or an edge)`}
              aria-label={`Add ${t.label}`}
              data-testid={`palette-${t.type}`}
              onDragStart={(e) => {
                e.dataTransfer.setData(DND_TYPE, t.type);
                e.dataTransfer.setData("text/plain", t.type);
                e.dataTransfer.effectAllowed = "move";
              }}
              onClick={() => onAdd(t)}
            >
              <span className="swatch" style={{ background: CATEGORY_COLORS[t.category] ?? "#98a2b3" }} />
              {t.label}
            </button>
          ))}
        </section>
      ))}
    </aside>
  );
}
