"use client";
// "Export as Python": the saved workflow as a standalone script (pandas + scikit-learn) that prints
// the same metrics as a run. Workflows it cannot export (AutoML nodes) say why in a toast.
import { useState } from "react";
import { useToast } from "@/components/Providers";
import { api } from "@/lib/api";

export function ExportPython({ workflowId, name }: { workflowId: string; name: string }) {
  const [busy, setBusy] = useState(false);
  const toast = useToast();
  async function download() {
    setBusy(true);
    try {
      const script = await api<string>(`/workflows/${workflowId}/export?format=python`);
      const url = URL.createObjectURL(new Blob([script], { type: "text/x-python" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `${name.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "").toLowerCase() || "workflow"}.py`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      toast.error(e, "Export as Python failed");
    } finally {
      setBusy(false);
    }
  }
  return (
    <button className="btn sm" onClick={download} disabled={busy} data-testid="export-python" title="A standalone script that trains this workflow and prints its metrics (the saved version)">
      {busy ? "Exporting…" : "Export as Python"}
    </button>
  );
}
