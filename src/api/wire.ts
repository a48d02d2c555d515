/**
 * The MLflow REST wire types a client reads, as JSON carries them. Doubles may arrive as the strings
 * "NaN", "Infinity" and "-Infinity"; optional fields may be absent (protobuf defaults).
 */
export type WireDouble = number | 'NaN' | 'Infinity' | '-Infinity';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type Stage = 'None' | 'Staging' | 'Production' | 'Archived';

export interface KeyValue {
  key: string;
  value: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: KeyValue[];
}

export interface WireMetric {
  key: string;
  value: WireDouble;
  timestamp: number;
  step?: number;
  run_id?: string;
}

export interface RunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: RunStatus;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage: string;
}

export interface WireRun {
  info: RunInfo;
  data?: { metrics?: WireMetric[]; params?: KeyValue[]; tags?: KeyValue[] };
  inputs?: {
    dataset_inputs?: { tags?: KeyValue[]; dataset: { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string } }[];
    model_inputs?: { model_id: string }[];
  };
  outputs?: { model_outputs?: { model_id: string; step?: number }[] };
}

export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number | string;
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  tags?: KeyValue[];
  aliases?: string[];
  model_id?: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: ModelVersion[];
  tags?: KeyValue[];
  aliases?: { alias: string; version: string }[];
}

/** MLflow's error body. */
export interface ErrorBody {
  error_code: string;
  message: string;
}
