/**
 * The tracking entities as the store returns them. Field names follow MLflow's wire (snake_case) so the
 * server hands them out as they are; metric values are plain numbers (NaN and ±Infinity included).
 */
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type LifecycleStage = 'active' | 'deleted';

export const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

export interface KeyValue {
  key: string;
  value: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time: number;
  last_update_time: number;
  tags: KeyValue[];
}

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** A metric as logged: MLflow 3 may attach it to a logged model and a dataset. */
export type LoggedMetric = Metric & ModelMetricFields;

export interface RunInfo {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatus;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface Dataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  tags: KeyValue[];
  dataset: Dataset;
}

export interface Run {
  info: RunInfo;
  data: { metrics: Metric[]; params: KeyValue[]; tags: KeyValue[] };
  inputs: { dataset_inputs: DatasetInput[]; model_inputs: { model_id: string }[] };
  outputs: { model_outputs: { model_id: string; step: number }[] };
}

/** A metric point with the run it belongs to (bulk history reads). */
export interface RunMetric extends Metric {
  run_id: string;
}

export interface Page<T> {
  items: T[];
  next_page_token?: string;
}

/** Extra fields a logged metric may carry in MLflow 3: the logged model and dataset it was measured on. */
export interface ModelMetricFields {
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}

export type LoggedModelStatus = 'LOGGED_MODEL_STATUS_UNSPECIFIED' | 'LOGGED_MODEL_PENDING' | 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED';
export const LOGGED_MODEL_STATUSES: readonly LoggedModelStatus[] = [
  'LOGGED_MODEL_STATUS_UNSPECIFIED',
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
];

export interface LoggedModelInfo {
  model_id: string;
  experiment_id: string;
  name: string;
  artifact_uri: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  status: LoggedModelStatus;
  status_message?: string;
  model_type?: string;
  source_run_id?: string;
  tags: KeyValue[];
}

export interface LoggedModel {
  info: LoggedModelInfo;
  data: { params: KeyValue[]; metrics: (Metric & ModelMetricFields & { run_id?: string })[] };
}

/** Registry stages; `Deleted_Internal` marks a soft-deleted version and never leaves the store. */
export type ModelVersionStage = 'None' | 'Staging' | 'Production' | 'Archived';
export const MODEL_VERSION_STAGES: readonly ModelVersionStage[] = ['None', 'Staging', 'Production', 'Archived'];

/** A registered model version as the registry REST API sends it (version numbers are strings). */
export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: ModelVersionStage;
  description?: string;
  source: string;
  run_id?: string;
  /** Always READY: versions are registered synchronously. */
  status: 'READY';
  status_message?: string;
  tags: KeyValue[];
  run_link?: string;
  aliases: string[];
  model_id?: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  /** The highest version in each stage that has one. */
  latest_versions: ModelVersion[];
  tags: KeyValue[];
  aliases: { alias: string; version: string }[];
}
