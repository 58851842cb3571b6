"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { Editor } from "@/components/Editor";
import { useCatalog, useDatasets, useIdParam } from "@/components/hooks";
import { Empty, Skeleton } from "@/components/ui";
import { api } from "@/lib/api";
import type { Workflow } from "@/lib/types";

export default function Edit() {
  const id = useIdParam();
  const wf = useQuery({ queryKey: ["workflow", id], queryFn: () => api<Workflow>(`/workflows/${id}`), enabled: !!id, staleTime: Infinity, gcTime: 0 });
  const catalog = useCatalog();
  const datasets = useDatasets();
  if (!id) return <Empty title="No workflow selected" />;
  const error = wf.error ?? catalog.error;
  if (error)
    return (
      <div className="page">
        <Empty title="Cannot open this workflow">
          <p>{(error as Error).message}</p>
          <Link href="/workflows/">Back to workflows</Link>
        </Empty>
      </div>
    );
  if (!wf.data || !catalog.data || datasets.isLoading)
    return (
      <div style={{ display: "grid", gridTemplateColumns: "220px 1fr 300px", height: "calc(100vh - 52px)", gap: 1 }}>
        <Skeleton height={800} style={{ borderRadius: 0 }} />
        <div />
        <Skeleton height={800} style={{ borderRadius: 0 }} />
      </div>
    );
  return <Editor key={wf.data.id} workflow={wf.data} catalog={catalog.data} datasets={datasets.data?.items ?? []} />;
}
