// Shapes from the REST contract (shared/API.md). Fields may be added by the API; none are renamed.

export type PortKind = "data" | "model" | "evaluation";

export interface Port {
  name: string;
  kind: PortKind;
  label?: string;
  accepts?: PortKind[];
  /** Takes several edges (e.g. Visualize overlaying models). */
  multiple?: boolean;
}

export type ParamType =
  | "int"
  | "float"
  | "bool"
  | "string"
  | "choice"
  | "multichoice"
  | "column"
  | "columns"
  | "dataset";

export interface ParamSpec {
  name: string;
  type: ParamType;
  default?: unknown;
  required?: boolean;
  choices?: string[] | null;
  /** What to show for each choice ("ROC curve" for `roc_curve`). */
  choice_labels?: Record<string, string> | null;
  min?: number | null;
  max?: number | null;
  help?: string;
}

export interface NodeTypeSpec {
  type: string;
  category: string;
  label: string;
  description: string;
  inputs?: Port[];
  outputs?: Port[];
  params?: ParamSpec[];
  tasks?: string[] | null;
}

export interface Catalog {
  node_types: NodeTypeSpec[];
  /** How results name each metric ("Balanced accuracy"). */
  metric_labels?: Record<string, string>;
}

export interface ApiNode {
  id: string;
  type: string;
  params: Record<string, unknown>;
  position: { x: number; y: number };
}

export interface ApiEdge {
  id: string;
  source: string;
  target: string;
  source_handle?: string | null;
  target_handle?: string | null;
}

export interface Workflow {
  id: string;
  name: string;
  description: string;
  schema_version: number;
  nodes: ApiNode[];
  edges: ApiEdge[];
  created_at: string;
  updated_at: string;
  version?: number;
}

export interface Issue {
  code: string;
  message: string;
  node_id?: string | null;
  edge_id?: string | null;
  field?: string | null;
  row?: number | null;
  column?: string | null;
}

export interface ValidationResult {
  valid: boolean;
  issues: Issue[];
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface DatasetColumn {
  name: string;
  dtype: string;
  missing: number;
  unique: number;
}

export interface Dataset {
  id: string;
  name: string;
  filename: string;
  format: string;
  size_bytes: number;
  content_hash: string;
  row_count: number;
  columns: DatasetColumn[];
  created_at: string;
  /** The id of an earlier upload of the same file, if any. */
  duplicate_of?: string | null;
}

export interface Preview {
  columns: string[];
  rows: unknown[][];
  total_rows: number;
}

export interface HistogramBin {
  start: number;
  end: number;
  count: number;
}

export interface ColumnProfile {
  name: string;
  dtype: string;
  missing: number;
  unique: number;
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | null;
  std?: number | null;
  top_values?: { value: unknown; count: number }[] | null;
  histogram?: HistogramBin[] | null;
}

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface LeaderboardEntry {
  algorithm: string;
  params: Record<string, unknown>;
  score: number | null;
  fit_seconds: number;
}

export interface RunResult {
  node_id: string;
  model_id?: string | null;
  algorithm: string;
  task: string;
  metrics: Record<string, number>;
  /** The metric the node optimised (or the task's default): the headline everywhere. */
  primary_metric?: string | null;
  timings?: Record<string, number> | null;
  leaderboard?: LeaderboardEntry[] | null;
  plots: Record<string, unknown>;
}

/** Where one step of a run is. */
export type StepState = "queued" | "running" | "succeeded" | "failed" | "skipped" | "reused";

export interface StepStatus {
  state: StepState;
  message?: string | null;
  started_at?: string | null;
  finished_at?: string | null;
}

export interface Run {
  id: string;
  workflow_id: string;
  status: RunStatus;
  progress: { fraction: number; message: string };
  created_at: string;
  started_at?: string | null;
  finished_at?: string | null;
  error?: { node_id?: string | null; message: string } | null;
  results: RunResult[];
  log?: string[];
  /** node id → that step's state; every step of the run's snapshot. */
  nodes?: Record<string, StepStatus>;
  /** "Finish now" was asked and is being passed to the search. */
  finish_requested?: boolean;
}

export interface Feature {
  name: string;
  dtype: string;
  /** Text values seen in training: the only ones a prediction accepts. */
  categories?: string[] | null;
}

export interface Model {
  id: string;
  name: string;
  run_id: string;
  node_id: string;
  algorithm: string;
  task: string;
  target?: string | null;
  metrics: Record<string, number>;
  primary_metric?: string | null;
  features: Feature[];
  classes?: unknown[] | null;
  created_at: string;
  provenance: {
    workflow: string;
    dataset_id: string;
    dataset_hash: string;
    seed: number;
    library_versions: Record<string, string>;
    workflow_hash?: string;
  };
  /** Download formats: "skops", and "onnx" when the pipeline converted. */
  formats?: string[];
  onnx_error?: string | null;
}

export interface RowExplanation {
  base_value: number;
  contributions: Record<string, number>;
}

export interface Predictions {
  predictions: unknown[];
  probabilities?: number[][] | null;
  classes?: unknown[] | null;
  explanations?: RowExplanation[] | null;
  output?: string | null;
}

export interface Explanation {
  method: string;
  output: string;
  features: { name: string; mean_abs: number }[];
  sample: { columns: string[]; rows: Record<string, unknown>[]; values: number[][]; base_values: number[] };
}

export interface User {
  id: string;
  email: string;
  name: string;
  picture?: string | null;
}

export interface AuthConfig {
  local: boolean;
  google: boolean;
  google_client_id?: string | null;
}

export interface PreviewColumn {
  name: string;
  dtype: string;
}

/** `POST /workflows/preview`: the table flowing out of one step. */
export interface StepPreview {
  node_id: string;
  kind: "rows" | "predictions";
  columns: PreviewColumn[];
  rows: unknown[][];
  total_rows: number;
  split: { train: number; test: number; folds?: number } | null;
  cached: boolean;
  log: string[];
}
