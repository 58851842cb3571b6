"use client";
import { useEffect, useRef, useState } from "react";
import type { CatalogIndex, FlowNode } from "@/lib/graph";
import type { Issue } from "@/lib/types";

/** Every problem, each naming its step by label; clicking one selects that step. */
export function ProblemList({
  issues,
  nodes,
  index,
  onSelect,
  testId,
}: {
  issues: Issue[];
  nodes: FlowNode[];
  index: CatalogIndex;
  onSelect: (nodeId: string) => void;
  testId?: string;
}) {
  const label = (id: string) => index.get(nodes.find((n) => n.id === id)?.data.nodeType ?? "")?.label ?? "A step";
  return (
    <ul className="issues-list" data-testid={testId}>
      {issues.map((i, k) => (
        <li key={k} data-code={i.code}>
          {i.node_id ? (
            <button onClick={() => onSelect(i.node_id!)} data-testid="problem-item" data-node-id={i.node_id}>
              <strong>{label(i.node_id)}:</strong> {i.message}
            </button>
          ) : (
            i.message
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * The canvas's verdict: "empty", "✓ valid", or the problem count, which opens the
 * full list (each item selects its step).
 */
export function ProblemsButton({
  issues,
  nodes,
  index,
  state,
  onSelect,
}: {
  issues: Issue[];
  nodes: FlowNode[];
  index: CatalogIndex;
  state: "idle" | "checking" | "error";
  onSelect: (nodeId: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!box.current?.contains(e.target as Node)) setOpen(false);
    };
    const esc = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", esc);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", esc);
    };
  }, [open]);
  if (!nodes.length)
    return (
      <span className="badge" data-testid="validation-empty">
        empty
      </span>
    );
  if (state === "error") return <span className="badge cancelled">validation unavailable</span>;
  if (!issues.length)
    return (
      <span className="badge succeeded" data-testid="validation-ok">
        ✓ valid
      </span>
    );
  return (
    <div className="problems" ref={box}>
      <button className="badge failed problems-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)} data-testid="validation-issues">
        {issues.length} problem{issues.length === 1 ? "" : "s"}
      </button>
      {open && (
        <div className="problems-popover card" role="dialog" aria-label="Problems" data-testid="problem-list">
          <ProblemList
            issues={issues}
            nodes={nodes}
            index={index}
            onSelect={(id) => {
              setOpen(false);
              onSelect(id);
            }}
          />
        </div>
      )}
    </div>
  );
}
