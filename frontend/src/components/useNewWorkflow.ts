"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { api } from "@/lib/api";
import { indexCatalog, makeNode, TEMPLATES, toApi } from "@/lib/graph";
import type { Workflow } from "@/lib/types";
import { useCatalog } from "./hooks";
import { useToast } from "./Providers";

export interface NewWorkflow {
  /** A template's id; none starts from the dataset alone (or an empty canvas). */
  templateId?: string | null;
  datasetId?: string | null;
  target?: string | null;
  /** The dataset's name, for naming a workflow started from it. */
  name?: string;
}

/** Creates a workflow (from a template, a dataset, or nothing) and opens it on the canvas. */
export function useNewWorkflow() {
  const router = useRouter();
  const qc = useQueryClient();
  const toast = useToast();
  const catalog = useCatalog();
  return useMutation({
    mutationFn: (w: NewWorkflow) => {
      const index = indexCatalog(catalog.data);
      const t = TEMPLATES.find((x) => x.id === w.templateId);
      const choice = { datasetId: w.datasetId ?? null, target: w.target ?? null };
      const dataset = index.get("dataset");
      const graph = t
        ? t.build(index, choice)
        : w.datasetId && dataset
          ? { nodes: [{ ...makeNode(dataset, { x: 0, y: 120 }), data: { nodeType: "dataset", params: { ...makeNode(dataset, { x: 0, y: 0 }).data.params, dataset_id: w.datasetId, target: w.target ?? null } } }], edges: [] }
          : { nodes: [], edges: [] };
      const name = t ? t.name : w.name ? `${w.name} workflow` : "Untitled workflow";
      return api<Workflow>("/workflows", { body: { name, description: t?.description ?? "", ...toApi(graph.nodes, graph.edges) } });
    },
    onSuccess: (w) => {
      qc.invalidateQueries({ queryKey: ["workflows"] });
      router.push(`/workflows/edit/?id=${w.id}`);
    },
    onError: (e) => toast.error(e, "Could not create the workflow"),
  });
}
