"use client";
import { useEffect, useRef, type ReactNode } from "react";
import type { HistogramBin, RunStatus } from "@/lib/types";

export function Skeleton({ height = 16, width = "100%", style }: { height?: number; width?: number | string; style?: React.CSSProperties }) {
  return <div className="skeleton" aria-hidden="true" style={{ height, width, ...style }} />;
}

export function SkeletonRows({ rows = 5 }: { rows?: number }) {
  return (
    <div className="stack" style={{ gap: 10, padding: 16 }} aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} height={18} width={`${90 - ((i * 13) % 30)}%`} />
      ))}
    </div>
  );
}

export function Empty({ icon = "∅", title, children, testId }: { icon?: string; title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={testId}>
      <div className="empty-icon" aria-hidden="true">
        {icon}
      </div>
      <h3>{title}</h3>
      {children}
    </div>
  );
}

export function StatusBadge({ status }: { status: RunStatus | string }) {
  return (
    <span className={`badge ${status}`} data-testid="run-status" data-status={status}>
      <span className="dot" />
      {status}
    </span>
  );
}

export function ProgressBar({ value, status, label }: { value: number; status?: string; label: string }) {
  const pct = Math.max(0, Math.min(1, value || 0)) * 100;
  const cls = status === "succeeded" ? "success" : status === "failed" || status === "cancelled" ? "failed" : "";
  return (
    <div className={`progress ${cls}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
      <div style={{ width: `${pct}%` }} />
    </div>
  );
}

export function Sparkline({ bins, width = 120, height = 28, label }: { bins: HistogramBin[]; width?: number; height?: number; label: string }) {
  if (!bins.length) return <span className="muted small">—</span>;
  const max = Math.max(...bins.map((b) => b.count), 1);
  const w = width / bins.length;
  return (
    <svg className="spark" width={width} height={height} role="img" aria-label={label}>
      {bins.map((b, i) => {
        const h = Math.max(1, (b.count / max) * (height - 2));
        return (
          <rect key={i} x={i * w + 0.5} y={height - h} width={Math.max(1, w - 1)} height={h} fill="#6172f3" rx={1}>
            <title>{`${fmt(b.start)} – ${fmt(b.end)}: ${b.count}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

function fmt(v: number) {
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(3);
}

export function ConfirmDialog({
  open,
  title,
  message,
  confirmLabel = "Delete",
  onConfirm,
  onCancel,
  busy,
}: {
  open: boolean;
  title: string;
  message: ReactNode;
  confirmLabel?: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    ref.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onCancel();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [open, onCancel]);
  if (!open) return null;
  return (
    <div className="backdrop" onClick={onCancel}>
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" onClick={(e) => e.stopPropagation()}>
        <h2 id="confirm-title">{title}</h2>
        <p>{message}</p>
        <div className="row" style={{ justifyContent: "flex-end" }}>
          <button className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button ref={ref} className="btn danger solid" onClick={onConfirm} disabled={busy} data-testid="confirm-delete">
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

export function PageHead({ title, sub, crumbs, children }: { title: ReactNode; sub?: ReactNode; crumbs?: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-head">
      <div>
        {crumbs && <div className="crumbs">{crumbs}</div>}
        <h1>{title}</h1>
        {sub && <div className="sub">{sub}</div>}
      </div>
      <div className="spacer" />
      {children}
    </div>
  );
}
