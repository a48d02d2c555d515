import { randomUUID } from 'node:crypto';
import type { SqlDriver, SqlStatement } from './driver';
import type { KeyValue, LoggedMetric, LoggedModel, LoggedModelStatus, Page } from './entities';
import { invalidParameter, notFound } from './errors';
import { decodeOffsetToken, encodePageToken } from './page-token';
import { randomRunName } from './run-names';
import { compileLoggedModelSearch, type DatasetFilter, type LoggedModelOrder } from './search/logged-models';
import { checkLength, LIMITS, parseExperimentId, validateKey } from './validation';

type Prepare = <Row>(sql: string) => SqlStatement<Row>;

interface ModelRow {
  id: number;
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_uri: string;
  status: LoggedModelStatus;
  status_message: string | null;
  model_type: string | null;
  source_run_id: string | null;
  lifecycle_stage: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
}

export interface NewLoggedModel {
  experiment_id: string;
  name?: string;
  model_type?: string;
  source_run_id?: string;
  params?: KeyValue[];
  tags?: KeyValue[];
}

/** What the logged models need of the rest of the store. */
export interface LoggedModelContext {
  readonly db: SqlDriver;
  readonly sql: Prepare;
  readonly now: () => number;
  /** The experiment's row, which must be active. */
  readonly activeExperiment: (experimentId: string) => { experiment_id: number; artifact_location: string };
}

const BAD_NAME_CHARACTERS = ['/', ':', '.', '%', '"', "'"];

/**
 * MLflow 3 logged models: what `log_model` and autolog create, with their own artifact location
 * (`<experiment artifacts>/models/<model_id>/artifacts`), params, tags and metrics.
 */
export class LoggedModels {
  constructor(private readonly ctx: LoggedModelContext) {}

  create(request: NewLoggedModel): LoggedModel {
    const name = request.name ?? randomRunName();
    if (!name || BAD_NAME_CHARACTERS.some((c) => name.includes(c))) {
      throw invalidParameter(
        `Invalid model name ('${name}') provided. Model name must be a non-empty string and cannot contain the following characters: ${BAD_NAME_CHARACTERS.join(' ')}`,
      );
    }
    const params = request.params ?? [];
    const tags = request.tags ?? [];
    params.forEach((p, i) => validateKey(p.key, `params[${i}].key`));
    tags.forEach((t, i) => validateKey(t.key, `tags[${i}].key`));
    return this.ctx.db.transaction(() => {
      const experiment = this.ctx.activeExperiment(request.experiment_id);
      const modelId = `m-${randomUUID().replaceAll('-', '')}`;
      const artifactUri = `${experiment.artifact_location.replace(/\/+$/, '')}/models/${modelId}/artifacts`;
      const now = this.ctx.now();
      const { lastInsertRowid } = this.ctx
        .sql(
          `INSERT INTO logged_models (model_id, experiment_id, name, artifact_uri, status, model_type, source_run_id, creation_timestamp_ms, last_updated_timestamp_ms)
           VALUES (?, ?, ?, ?, 'LOGGED_MODEL_PENDING', ?, ?, ?, ?)`,
        )
        .run(modelId, experiment.experiment_id, name, artifactUri, request.model_type ?? null, request.source_run_id ?? null, now, now);
      const id = Number(lastInsertRowid);
      this.insertParams(id, params);
      for (const tag of tags) this.upsertTag(id, tag);
      return this.toModel(this.rowById(id));
    });
  }

  get(modelId: string, allowDeleted = false): LoggedModel {
    return this.toModel(this.row(modelId, allowDeleted));
  }

  finalize(modelId: string, status: LoggedModelStatus): LoggedModel {
    return this.ctx.db.transaction(() => {
      const row = this.row(modelId);
      this.ctx.sql('UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE id = ?').run(status, this.ctx.now(), row.id);
      return this.toModel(this.rowById(row.id));
    });
  }

  delete(modelId: string): void {
    this.ctx.db.transaction(() => {
      const row = this.row(modelId);
      this.ctx.sql(`UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = ? WHERE id = ?`).run(this.ctx.now(), row.id);
    });
  }

  setTags(modelId: string, tags: KeyValue[]): void {
    tags.forEach((t, i) => validateKey(t.key, `tags[${i}].key`));
    this.ctx.db.transaction(() => {
      const row = this.row(modelId);
      for (const tag of tags) this.upsertTag(row.id, tag);
      this.touch(row.id);
    });
  }

  deleteTag(modelId: string, key: string): void {
    this.ctx.db.transaction(() => {
      const row = this.row(modelId);
      const { changes } = this.ctx.sql('DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?').run(row.id, key);
      if (changes === 0) throw notFound(`No tag with key '${key}' found for model with ID '${modelId}'.`);
      this.touch(row.id);
    });
  }

  logParams(modelId: string, params: KeyValue[]): void {
    params.forEach((p, i) => validateKey(p.key, `params[${i}].key`));
    this.ctx.db.transaction(() => {
      const row = this.row(modelId);
      this.insertParams(row.id, params);
      this.touch(row.id);
    });
  }

  /** Metrics logged with a model_id also belong to that model (called inside the run's batch). */
  recordMetrics(runUuid: string, metrics: readonly LoggedMetric[]): void {
    const insert = this.ctx.sql(
      `INSERT INTO logged_model_metrics (model_id, key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const metric of metrics) {
      if (!metric.model_id) continue;
      const row = this.row(metric.model_id);
      const nan = Number.isNaN(metric.value);
      insert.run(row.id, metric.key, nan ? 0 : metric.value, nan ? 1 : 0, metric.timestamp, metric.step, runUuid, metric.dataset_name ?? null, metric.dataset_digest ?? null);
    }
  }

  search(query: {
    experimentIds: readonly string[];
    filter?: string;
    datasets?: readonly DatasetFilter[];
    orderBy?: readonly LoggedModelOrder[];
    maxResults?: number;
    pageToken?: string;
  }): Page<LoggedModel> {
    const limit = query.maxResults || 50;
    if (!Number.isSafeInteger(limit) || limit < 1) throw invalidParameter(`Invalid value ${limit} for parameter 'max_results' supplied.`);
    const offset = decodeOffsetToken(query.pageToken);
    const compiled = compileLoggedModelSearch({
      experimentIds: query.experimentIds.map(parseExperimentId),
      filter: query.filter,
      datasets: query.datasets,
      orderBy: query.orderBy,
      limit: limit + 1,
      offset,
    });
    return this.ctx.db.transaction(() => {
      const ids = this.ctx.db.prepare<{ id: number }>(compiled.sql).all(...compiled.params);
      const items = ids.slice(0, limit).map(({ id }) => this.toModel(this.rowById(id)));
      return ids.length > limit ? { items, next_page_token: encodePageToken({ offset: offset + limit }) } : { items };
    });
  }

  private insertParams(id: number, params: KeyValue[]): void {
    const insert = this.ctx.sql('INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value');
    for (const param of params) {
      checkLength('value', param.value, LIMITS.paramValueLength);
      insert.run(id, param.key, param.value);
    }
  }

  private upsertTag(id: number, tag: KeyValue): void {
    checkLength('value', tag.value, LIMITS.runTagValueLength);
    this.ctx.sql('INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value').run(id, tag.key, tag.value);
  }

  private touch(id: number): void {
    this.ctx.sql('UPDATE logged_models SET last_updated_timestamp_ms = ? WHERE id = ?').run(this.ctx.now(), id);
  }

  private row(modelId: string, allowDeleted = false): ModelRow {
    const row = this.ctx.sql<ModelRow>('SELECT * FROM logged_models WHERE model_id = ?').get(modelId);
    if (!row || (!allowDeleted && row.lifecycle_stage !== 'active')) throw notFound(`Logged model with ID '${modelId}' not found.`);
    return row;
  }

  private rowById(id: number): ModelRow {
    return this.ctx.sql<ModelRow>('SELECT * FROM logged_models WHERE id = ?').get(id)!;
  }

  private toModel(row: ModelRow): LoggedModel {
    const info: LoggedModel['info'] = {
      model_id: row.model_id,
      experiment_id: String(row.experiment_id),
      name: row.name,
      artifact_uri: row.artifact_uri,
      creation_timestamp_ms: row.creation_timestamp_ms,
      last_updated_timestamp_ms: row.last_updated_timestamp_ms,
      status: row.status,
      tags: this.ctx.sql<KeyValue>('SELECT key, value FROM logged_model_tags WHERE model_id = ? ORDER BY key').all(row.id),
    };
    if (row.status_message !== null) info.status_message = row.status_message;
    if (row.model_type !== null) info.model_type = row.model_type;
    if (row.source_run_id !== null) info.source_run_id = row.source_run_id;
    const metrics = this.ctx
      .sql<{ key: string; value: number; is_nan: number; timestamp: number; step: number; run_id: string | null; dataset_name: string | null; dataset_digest: string | null }>(
        'SELECT key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest FROM logged_model_metrics WHERE model_id = ? ORDER BY id',
      )
      .all(row.id)
      .map((m) => ({
        key: m.key,
        value: m.is_nan ? NaN : m.value,
        timestamp: m.timestamp,
        step: m.step,
        model_id: row.model_id,
        ...(m.run_id !== null && { run_id: m.run_id }),
        ...(m.dataset_name !== null && { dataset_name: m.dataset_name }),
        ...(m.dataset_digest !== null && { dataset_digest: m.dataset_digest }),
      }));
    return {
      info,
      data: { params: this.ctx.sql<KeyValue>('SELECT key, value FROM logged_model_params WHERE model_id = ? ORDER BY key').all(row.id), metrics },
    };
  }
}
