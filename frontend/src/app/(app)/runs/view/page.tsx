"use client";
import Link from "next/link";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { useCatalog, useIdParam } from "@/components/hooks";
import { useToast } from "@/components/Providers";
import { ResultsTabs } from "@/components/Results";
import { RunCanvas } from "@/components/RunCanvas";
import { Empty, PageHead, ProgressBar, Skeleton, StatusBadge } from "@/components/ui";
import { api, apiUrl, formatDate } from "@/lib/api";
import { indexCatalog } from "@/lib/graph";
import { parseEventData } from "@/lib/plots";
import { mergeRun, STEP_STATE_LABELS, stepStates, TERMINAL } from "@/lib/runs";
import type { ApiEdge, ApiNode, Run, RunResult, RunStatus, StepState, StepStatus, Workflow } from "@/lib/types";

export default function RunView() {
  const id = useIdParam();
  const qc = useQueryClient();
  const toast = useToast();
  const catalog = useCatalog();
  const [sseFailed, setSseFailed] = useState(false);
  const [live, setLive] = useState<Partial<Run>>({});
  const [logs, setLogs] = useState<string[]>([]);
  const [liveSteps, setLiveSteps] = useState<Record<string, StepStatus>>({});
  const [cancelling, setCancelling] = useState(false);
  const [finishing, setFinishing] = useState(false);
  const logRef = useRef<HTMLDivElement>(null);

  const q = useQuery({
    queryKey: ["run", id],
    queryFn: () => api<Run>(`/runs/${id}`),
    enabled: !!id,
    refetchInterval: (query) => {
      const s = query.state.data?.status;
      if (s && TERMINAL.includes(s)) return false;
      return sseFailed ? 2000 : 8000;
    },
  });
  const run: Run | undefined = q.data ? mergeRun(q.data, live) : undefined;
  const status = run?.status;
  const terminal = !!status && TERMINAL.includes(status);

  const wf = useQuery({
    queryKey: ["workflow", run?.workflow_id],
    queryFn: () => api<Workflow>(`/workflows/${run!.workflow_id}`),
    enabled: !!run?.workflow_id,
    retry: false,
  });

  // Live events: status, node, progress, log, result, done.
  useEffect(() => {
    if (!id || typeof EventSource === "undefined") return;
    const es = new EventSource(apiUrl(`/runs/${id}/events`), { withCredentials: true });
    let closed = false;
    let seededLog = false;
    const onStatus = (e: MessageEvent) => {
      const d = parseEventData(e.data);
      const s = (d.status ?? d.value) as RunStatus | undefined;
      setLive((l) => ({ ...l, ...(d.id ? (d as unknown as Run) : {}), ...(s ? { status: s } : {}) }));
      // The first status event carries the log so far; later lines arrive as `log` events.
      if (Array.isArray(d.log) && !seededLog) {
        seededLog = true;
        setLogs((d.log as string[]).slice(-500));
      }
    };
    const onProgress = (e: MessageEvent) => {
      const d = parseEventData(e.data);
      const fraction = typeof d.fraction === "number" ? d.fraction : undefined;
      const message = typeof d.message === "string" ? d.message : "";
      setLive((l) => ({ ...l, progress: { fraction: fraction ?? l.progress?.fraction ?? 0, message } }));
    };
    // The engine says when each step starts and ends: the chips and the canvas show exactly that.
    const onNode = (e: MessageEvent) => {
      const d = parseEventData(e.data);
      if (typeof d.node_id !== "string" || typeof d.state !== "string") return;
      const step: StepStatus = { state: d.state as StepState, message: typeof d.message === "string" ? d.message : null };
      setLiveSteps((m) => stepStates(m, { [d.node_id as string]: step }));
    };
    const onLog = (e: MessageEvent) => {
      const d = parseEventData(e.data);
      const line = typeof d.line === "string" ? d.line : String(e.data);
      setLogs((l) => [...l.slice(-500), line]);
    };
    const onResult = (e: MessageEvent) => {
      const d = parseEventData(e.data) as unknown as RunResult;
      if (!d.node_id) return;
      setLive((l) => {
        const prev = l.results ?? qc.getQueryData<Run>(["run", id])?.results ?? [];
        return { ...l, results: [...prev.filter((r) => r.node_id !== d.node_id), d] };
      });
    };
    const onDone = (e: MessageEvent) => {
      const d = parseEventData(e.data);
      if (typeof d.status === "string") setLive((l) => ({ ...l, status: d.status as RunStatus }));
      closed = true;
      es.close();
      setLive({});
      qc.invalidateQueries({ queryKey: ["run", id] });
      qc.invalidateQueries({ queryKey: ["models"] });
    };
    es.addEventListener("status", onStatus);
    es.addEventListener("progress", onProgress);
    es.addEventListener("node", onNode);
    es.addEventListener("log", onLog);
    es.addEventListener("result", onResult);
    es.addEventListener("done", onDone);
    es.onopen = () => setSseFailed(false);
    es.onerror = () => {
      if (closed) return;
      setSseFailed(true);
      const s = qc.getQueryData<Run>(["run", id])?.status;
      if (s && TERMINAL.includes(s)) es.close();
    };
    return () => {
      closed = true;
      es.close();
    };
  }, [id, qc]);

  useEffect(() => {
    logRef.current?.scrollTo({ top: logRef.current.scrollHeight });
  }, [logs]);

  // Server-side log tail, if the API includes it.
  const allLogs = logs.length ? logs : run?.log ?? [];

  const index = useMemo(() => indexCatalog(catalog.data), [catalog.data]);
  const snapshot = (q.data as unknown as { snapshot?: { nodes?: ApiNode[]; edges?: ApiEdge[] } } | undefined)?.snapshot;
  const snapshotNodes: ApiNode[] = useMemo(() => snapshot?.nodes ?? wf.data?.nodes ?? [], [snapshot, wf.data]);
  const snapshotEdges: ApiEdge[] = useMemo(() => snapshot?.edges ?? wf.data?.edges ?? [], [snapshot, wf.data]);
  const steps = useMemo(() => stepStates(q.data?.nodes, liveSteps), [q.data?.nodes, liveSteps]);
  const searches = snapshotNodes.some((n) => n.type === "automl");
  const labels = useMemo(() => {
    const m = new Map<string, string>();
    const counts = new Map<string, number>();
    for (const n of snapshotNodes) {
      const label = index.get(n.type)?.label ?? n.type;
      const c = (counts.get(label) ?? 0) + 1;
      counts.set(label, c);
      m.set(n.id, c > 1 ? `${label} ${c}` : label);
    }
    return m;
  }, [snapshotNodes, index]);

  async function cancel() {
    setCancelling(true);
    try {
      await api(`/runs/${id}/cancel`, { method: "POST" });
      toast.show("Cancelling the run…");
      qc.invalidateQueries({ queryKey: ["run", id] });
    } catch (e) {
      toast.error(e, "Cannot cancel");
    } finally {
      setCancelling(false);
    }
  }

  async function finishNow() {
    setFinishing(true);
    try {
      await api(`/runs/${id}/finish`, { method: "POST" });
      toast.show("Finishing: keeping the best model found so far…");
      qc.invalidateQueries({ queryKey: ["run", id] });
    } catch (e) {
      toast.error(e, "Cannot finish now");
      setFinishing(false);
    }
  }

  if (!id) return <Empty title="No run selected" />;
  if (q.isLoading) return <Skeleton height={320} />;
  if (q.error || !run)
    return (
      <Empty title="Run not found">
        <p>{(q.error as Error)?.message}</p>
      </Empty>
    );

  const fraction = status === "succeeded" ? 1 : run.progress?.fraction ?? 0;
  const results = run.results ?? [];
  const finishAsked = finishing || !!run.finish_requested;
  return (
    <div className="stack">
      <PageHead
        crumbs={
          <>
            <Link href="/workflows/">Workflows</Link> / <Link href={`/workflows/edit/?id=${run.workflow_id}`}>{wf.data?.name ?? "workflow"}</Link> /{" "}
            <Link href={`/workflows/runs/?id=${run.workflow_id}`}>runs</Link>
          </>
        }
        title={
          <span className="row">
            Run <span className="mono muted" style={{ fontSize: 16 }}>{run.id.slice(0, 8)}</span> <StatusBadge status={run.status} />
          </span>
        }
        sub={`Started ${formatDate(run.started_at ?? run.created_at)}${run.finished_at ? ` · finished ${formatDate(run.finished_at)}` : ""}`}
      >
        <Link className="btn" href={`/workflows/edit/?id=${run.workflow_id}`}>
          Back to canvas
        </Link>
        {status === "running" && searches && (
          <button
            className="btn"
            onClick={finishNow}
            disabled={finishAsked}
            data-testid="finish-run"
            title="Stop the search now and keep the best model found so far"
          >
            {finishAsked ? "Finishing…" : "Finish now"}
          </button>
        )}
        {!terminal && (
          <button className="btn danger" onClick={cancel} disabled={cancelling} data-testid="cancel-run" title="Stop the run and keep nothing">
            Cancel run
          </button>
        )}
      </PageHead>

      <div className="card stack" style={{ gap: 10 }} data-testid="run-progress">
        <div className="row">
          <strong>{terminal ? (status === "succeeded" ? "Finished" : status === "failed" ? "Failed" : "Cancelled") : status === "queued" ? "Waiting for a worker…" : "Training…"}</strong>
          <span className="muted small" data-testid="progress-message">
            {run.progress?.message}
          </span>
          <span className="spacer" />
          <span className="small">{Math.round(fraction * 100)}%</span>
        </div>
        <ProgressBar value={fraction} status={status} label="Run progress" />
        {run.error && (
          <div className="issues-list" role="alert">
            <li style={{ listStyle: "none" }} data-testid="run-error">
              {run.error.node_id && <strong>{labels.get(run.error.node_id) ?? run.error.node_id}: </strong>}
              {run.error.message}
            </li>
          </div>
        )}
        {snapshotNodes.length > 0 && (
          <div className="row wrap" aria-label="Step states" style={{ gap: 6 }}>
            {snapshotNodes.map((n) => {
              const step = steps[n.id] ?? { state: "queued" };
              const label = labels.get(n.id) ?? n.type;
              return (
                <span
                  key={n.id}
                  className={`badge ${step.state}`}
                  title={step.message ? `${STEP_STATE_LABELS[step.state]}: ${step.message}` : STEP_STATE_LABELS[step.state]}
                  data-testid={`step-state-${n.id}`}
                  data-state={step.state}
                  aria-label={`${label}: ${STEP_STATE_LABELS[step.state]}`}
                >
                  <span className="dot" />
                  {label}
                </span>
              );
            })}
          </div>
        )}
        {snapshotNodes.length > 0 && <RunCanvas nodes={snapshotNodes} edges={snapshotEdges} states={steps} catalog={index} />}
        {allLogs.length > 0 && (
          <div className="log" ref={logRef} aria-label="Run log" role="log" data-testid="run-log">
            {allLogs.join("\n")}
          </div>
        )}
      </div>

      {results.length > 0 ? (
        <ResultsTabs results={results} labels={labels} />
      ) : terminal ? (
        <div className="card">
          <Empty title="No results">
            <p>{status === "failed" ? "The run failed before training finished." : "The run was cancelled before any model finished."}</p>
          </Empty>
        </div>
      ) : (
        <div className="grid2">
          <Skeleton height={160} />
          <Skeleton height={160} />
        </div>
      )}
    </div>
  );
}
