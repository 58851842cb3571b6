"use client";
import { Background, ReactFlow, ReactFlowProvider, type Edge, type Node } from "@xyflow/react";
import { useMemo } from "react";
import { useDatasets } from "@/components/hooks";
import { fromApi, type CatalogIndex } from "@/lib/graph";
import type { ApiEdge, ApiNode, StepStatus } from "@/lib/types";
import { CanvasContext, StepNode } from "./StepNode";

const NODE_TYPES = { step: StepNode };

/** The run's snapshot as the canvas drew it, read-only, each step showing where the run is. */
export function RunCanvas({ nodes, edges, states, catalog }: { nodes: ApiNode[]; edges: ApiEdge[]; states: Record<string, StepStatus>; catalog: CatalogIndex }) {
  const datasets = useDatasets();
  const datasetMap = useMemo(() => new Map((datasets.data?.items ?? []).map((d) => [d.id, d])), [datasets.data]);
  const flow = useMemo(() => fromApi(nodes, edges), [nodes, edges]);
  const shown = useMemo(
    () => flow.nodes.map((n) => ({ ...n, data: { ...n.data, runState: states[n.id] ?? { state: "queued" } } })) as Node[],
    [flow.nodes, states],
  );
  const info = useMemo(() => ({ catalog, datasets: datasetMap }), [catalog, datasetMap]);
  return (
    <CanvasContext.Provider value={info}>
      <div className="run-canvas" data-testid="run-canvas" aria-label="Workflow steps">
        <ReactFlowProvider>
          <ReactFlow
            nodes={shown}
            edges={flow.edges as Edge[]}
            nodeTypes={NODE_TYPES}
            nodesDraggable={false}
            nodesConnectable={false}
            elementsSelectable={false}
            fitView
            fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
            defaultEdgeOptions={{ type: "smoothstep" }}
            proOptions={{ hideAttribution: true }}
            minZoom={0.2}
          >
            <Background gap={20} color="#dfe3ea" />
          </ReactFlow>
        </ReactFlowProvider>
      </div>
    </CanvasContext.Provider>
  );
}
