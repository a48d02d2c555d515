import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlDriver, SqlStatement, SqlValue } from './driver';
import { chooseDriver, openSqlite, type DriverChoice, type DriverPreference } from './drivers/open';
import type {
  DatasetInput,
  Experiment,
  KeyValue,
  LifecycleStage,
  LoggedMetric,
  Metric,
  Page,
  Run,
  RunInfo,
  RunStatus,
  ViewType,
} from './entities';
import { alreadyExists, invalidParameter, MlflowError, notFound } from './errors';
import { LoggedModels } from './logged-models';
import { MetricHistory } from './metric-history';
import { decodeOffsetToken, encodePageToken } from './page-token';
import { randomRunName } from './run-names';
import { ModelRegistry } from './registry';
import { migrate } from './schema';
import { compileExperimentSearch } from './search/experiments';
import { compileRunSearch } from './search/runs';
import {
  checkLength,
  LIMITS,
  parseExperimentId,
  truncate,
  validateBatchLimits,
  validateExperimentName,
  validateKey,
} from './validation';

export const DEFAULT_EXPERIMENT_ID = '0';
const RUN_NAME_TAG = 'mlflow.runName';

export interface StoreOptions {
  /** Clock in epoch milliseconds; tests pin it. */
  now?: () => number;
  /** An already open database (tests); by default `<dir>/runboard.db` is opened with the chosen driver. */
  driver?: SqlDriver;
  /** Which SQLite driver opens the file: `auto` (default: RUNBOARD_SQLITE_DRIVER, else the first that works here). */
  sqliteDriver?: DriverPreference;
  /** A choice the caller already made (to report it before opening); wins over sqliteDriver. */
  driverChoice?: DriverChoice;
}

export interface NewRun {
  experiment_id?: string;
  user_id?: string;
  run_name?: string;
  start_time?: number;
  tags?: KeyValue[];
}

export interface Batch {
  metrics?: LoggedMetric[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

interface RunRow {
  id: number;
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: LifecycleStage;
  artifact_uri: string;
}

interface ExperimentRow {
  experiment_id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time: number;
  last_update_time: number;
}

interface LatestRow {
  id: number;
  value: number;
  is_nan: number;
  timestamp: number;
  step: number;
}

/**
 * The tracking store: experiments, runs and everything logged to them, in one SQLite file in WAL mode.
 * Every public method is one transaction; statements are prepared once and reused.
 */
export class TrackingStore {
  readonly history: MetricHistory;
  readonly models: LoggedModels;
  readonly registry: ModelRegistry;
  private readonly statements = new Map<string, SqlStatement<never>>();
  private readonly now: () => number;

  private constructor(
    readonly db: SqlDriver,
    options: StoreOptions,
    /** How the driver was chosen (undefined when the caller passed one in). */
    readonly driverChoice: DriverChoice | undefined,
  ) {
    this.now = options.now ?? Date.now;
    this.history = new MetricHistory(db, (sql) => this.sql(sql), (runId) => this.runRow(runId));
    this.models = new LoggedModels({
      db,
      sql: (sql) => this.sql(sql),
      now: this.now,
      activeExperiment: (experimentId) => this.activeExperimentRow(experimentId),
    });
    this.registry = new ModelRegistry({
      db,
      sql: (sql) => this.sql(sql),
      now: this.now,
      loggedModel: (modelId) => this.models.get(modelId).info,
      setLoggedModelTag: (modelId, tag) => this.models.setTags(modelId, [tag]),
      runArtifactUri: (runId) => this.sql<{ artifact_uri: string }>('SELECT artifact_uri FROM runs WHERE run_uuid = ?').get(runId)?.artifact_uri,
    });
  }

  /** Opens (creating if needed) the store in `dir`: `<dir>/runboard.db`. */
  static open(dir: string, options: StoreOptions = {}): TrackingStore {
    mkdirSync(dir, { recursive: true });
    const choice = options.driver ? undefined : (options.driverChoice ?? chooseDriver(options.sqliteDriver));
    const db = options.driver ?? openSqlite(join(dir, 'runboard.db'), choice);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      // 64 MiB of page cache: searches over 100k runs stay in memory instead of re-reading pages.
      db.pragma('cache_size = -65536');
      migrate(db);
      const store = new TrackingStore(db, options, choice);
      store.ensureDefaultExperiment();
      return store;
    } catch (error) {
      db.close(); // a store that cannot open must not stay held (the WebAssembly driver's lock is per process)
      throw error;
    }
  }

  close(): void {
    this.db.close();
  }

  /** A cached prepared statement. */
  private sql<Row>(text: string): SqlStatement<Row> {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text) as SqlStatement<never>;
      this.statements.set(text, statement);
    }
    return statement as unknown as SqlStatement<Row>;
  }

  // ---------------------------------------------------------------- experiments

  private ensureDefaultExperiment(): void {
    const now = this.now();
    this.sql(
      `INSERT OR IGNORE INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
       VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', ?, ?)`,
    ).run(now, now);
  }

  createExperiment(name: string, artifactLocation: string | undefined, tags: KeyValue[] = []): string {
    validateExperimentName(name);
    if (artifactLocation !== undefined && artifactLocation !== '') validateArtifactLocation(artifactLocation);
    for (const tag of tags) this.validateExperimentTag(tag);
    return this.db.transaction(() => {
      if (this.sql('SELECT 1 FROM experiments WHERE name = ?').get(name)) {
        throw alreadyExists(`Experiment(name=${name}) already exists.`);
      }
      const now = this.now();
      const { lastInsertRowid } = this.sql(
        `INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (?, '', 'active', ?, ?)`,
      ).run(name, now, now);
      const id = String(lastInsertRowid);
      const location = artifactLocation || `mlflow-artifacts:/${id}`;
      this.sql('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?').run(location, Number(id));
      for (const tag of tags) this.upsertExperimentTag(Number(id), tag);
      return id;
    });
  }

  getExperiment(experimentId: string): Experiment {
    return this.toExperiment(this.experimentRow(experimentId));
  }

  /** The experiment of that name, active or deleted (names are unique across both). */
  getExperimentByName(name: string): Experiment {
    const row = this.sql<ExperimentRow>('SELECT * FROM experiments WHERE name = ?').get(name);
    if (!row) throw notFound(`Could not find experiment with name '${name}'`);
    return this.toExperiment(row);
  }

  searchExperiments(query: { viewType?: ViewType; filter?: string; orderBy?: readonly string[]; maxResults?: number; pageToken?: string }): Page<Experiment> {
    const limit = query.maxResults ?? 1000;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 50000) {
      throw invalidParameter(`Invalid value ${limit} for parameter 'max_results' supplied. It must be at most 50000 and at least 1.`);
    }
    const offset = decodeOffsetToken(query.pageToken);
    const compiled = compileExperimentSearch({
      viewType: query.viewType ?? 'ACTIVE_ONLY',
      filter: query.filter,
      orderBy: query.orderBy,
      limit: limit + 1,
      offset,
    });
    const ids = this.db.prepare<{ experiment_id: number }>(compiled.sql).all(...compiled.params);
    const page = ids.slice(0, limit).map(({ experiment_id }) => this.getExperiment(String(experiment_id)));
    return ids.length > limit ? { items: page, next_page_token: encodePageToken({ offset: offset + limit }) } : { items: page };
  }

  deleteExperiment(experimentId: string): void {
    this.db.transaction(() => {
      const row = this.experimentRow(experimentId);
      if (row.lifecycle_stage !== 'active') throw notFound(`No Experiment with id=${experimentId} exists`);
      if (row.experiment_id === 0) throw invalidParameter('Cannot delete the default experiment 0.');
      const now = this.now();
      this.sql(`UPDATE experiments SET lifecycle_stage = 'deleted', last_update_time = ? WHERE experiment_id = ?`).run(now, row.experiment_id);
      this.sql(`UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE experiment_id = ? AND lifecycle_stage = 'active'`).run(
        now,
        row.experiment_id,
      );
    });
  }

  /** Restores the experiment and its runs, as MLflow does. */
  restoreExperiment(experimentId: string): void {
    this.db.transaction(() => {
      const row = this.experimentRow(experimentId);
      if (row.lifecycle_stage !== 'deleted') throw invalidParameter(`Cannot restore experiment ${experimentId}: it is not deleted.`);
      this.sql(`UPDATE experiments SET lifecycle_stage = 'active', last_update_time = ? WHERE experiment_id = ?`).run(this.now(), row.experiment_id);
      this.sql(`UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = ?`).run(row.experiment_id);
    });
  }

  renameExperiment(experimentId: string, newName: string): void {
    validateExperimentName(newName);
    this.db.transaction(() => {
      const row = this.experimentRow(experimentId);
      if (row.lifecycle_stage !== 'active') throw new MlflowError('INVALID_STATE', 'Cannot rename a non-active experiment.');
      const clash = this.sql<{ experiment_id: number }>('SELECT experiment_id FROM experiments WHERE name = ?').get(newName);
      if (clash && clash.experiment_id !== row.experiment_id) throw alreadyExists(`Experiment(name=${newName}) already exists.`);
      this.sql('UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?').run(newName, this.now(), row.experiment_id);
    });
  }

  setExperimentTag(experimentId: string, tag: KeyValue): void {
    this.validateExperimentTag(tag);
    this.db.transaction(() => {
      const row = this.activeExperimentRow(experimentId);
      this.upsertExperimentTag(row.experiment_id, tag);
    });
  }

  deleteExperimentTag(experimentId: string, key: string): void {
    this.db.transaction(() => {
      const row = this.activeExperimentRow(experimentId);
      const { changes } = this.sql('DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?').run(row.experiment_id, key);
      if (changes === 0) throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
    });
  }

  private validateExperimentTag(tag: KeyValue): void {
    validateKey(tag.key, 'key');
    checkLength('value', tag.value, LIMITS.experimentTagValueLength);
  }

  private upsertExperimentTag(experimentId: number, tag: KeyValue): void {
    this.sql('INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value').run(
      experimentId,
      tag.key,
      tag.value,
    );
  }

  private experimentRow(experimentId: string): ExperimentRow {
    const id = parseExperimentId(experimentId);
    const row = this.sql<ExperimentRow>('SELECT * FROM experiments WHERE experiment_id = ?').get(id);
    if (!row) throw notFound(`No Experiment with id=${experimentId} exists`);
    return row;
  }

  private activeExperimentRow(experimentId: string): ExperimentRow {
    const row = this.experimentRow(experimentId);
    if (row.lifecycle_stage !== 'active') {
      throw invalidParameter(`The experiment ${experimentId} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`);
    }
    return row;
  }

  private toExperiment(row: ExperimentRow): Experiment {
    const tags = this.sql<KeyValue>('SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key').all(row.experiment_id);
    return {
      experiment_id: String(row.experiment_id),
      name: row.name,
      artifact_location: row.artifact_location,
      lifecycle_stage: row.lifecycle_stage,
      creation_time: row.creation_time,
      last_update_time: row.last_update_time,
      tags,
    };
  }

  // ---------------------------------------------------------------- runs

  createRun(request: NewRun): Run {
    const tags = request.tags ?? [];
    tags.forEach((tag, i) => validateKey(tag.key, `tags[${i}].key`));
    const tagName = lastValue(tags, RUN_NAME_TAG);
    if (request.run_name && tagName && request.run_name !== tagName) {
      throw invalidParameter(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${request.run_name}', mlflow.runName='${tagName}').`,
      );
    }
    const name = request.run_name || tagName || randomRunName();
    const runUuid = randomUUID().replaceAll('-', '');
    return this.db.transaction(() => {
      const experiment = this.activeExperimentRow(request.experiment_id || DEFAULT_EXPERIMENT_ID);
      const startTime = request.start_time ?? this.now();
      const artifactUri = `${experiment.artifact_location.replace(/\/+$/, '')}/${runUuid}/artifacts`;
      const { lastInsertRowid } = this.sql(
        `INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri)
         VALUES (?, ?, ?, ?, 'RUNNING', ?, 'active', ?)`,
      ).run(runUuid, experiment.experiment_id, name, request.user_id || 'unknown', startTime, artifactUri);
      const runId = Number(lastInsertRowid);
      for (const tag of tags) this.upsertTag(runId, tag.key, truncate(tag.value, LIMITS.runTagValueLength));
      this.upsertTag(runId, RUN_NAME_TAG, name);
      return this.toRun(this.runRowById(runId));
    });
  }

  getRun(runId: string): Run {
    return this.toRun(this.runRow(runId));
  }

  /** Only the given fields change; a non-empty name also updates the `mlflow.runName` tag. */
  updateRun(runId: string, update: { status?: RunStatus; end_time?: number; run_name?: string }): RunInfo {
    return this.db.transaction(() => {
      const row = this.activeRunRow(runId);
      this.sql(
        `UPDATE runs SET status = coalesce(?, status), end_time = coalesce(?, end_time), name = coalesce(?, name) WHERE id = ?`,
      ).run(update.status ?? null, update.end_time ?? null, update.run_name || null, row.id);
      if (update.run_name) this.upsertTag(row.id, RUN_NAME_TAG, update.run_name);
      return this.toRunInfo(this.runRowById(row.id));
    });
  }

  deleteRun(runId: string): void {
    this.db.transaction(() => {
      const row = this.runRow(runId);
      this.sql(`UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE id = ?`).run(this.now(), row.id);
    });
  }

  restoreRun(runId: string): void {
    this.db.transaction(() => {
      const row = this.runRow(runId);
      this.sql(`UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE id = ?`).run(row.id);
    });
  }

  searchRuns(query: {
    experimentIds: readonly string[];
    filter?: string;
    viewType?: ViewType;
    maxResults?: number;
    orderBy?: readonly string[];
    pageToken?: string;
  }): Page<Run> {
    const limit = query.maxResults ?? 1000;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 50000) {
      throw invalidParameter(
        `Invalid value ${limit} for parameter 'max_results' supplied. It must be a positive integer not larger than 50000.`,
      );
    }
    const offset = decodeOffsetToken(query.pageToken);
    const experimentIds = query.experimentIds.map(parseExperimentId);
    return this.db.transaction(() => {
      // Compiled inside the read transaction: the join order comes from row counts of this snapshot.
      const compiled = compileRunSearch({
        experimentIds,
        viewType: query.viewType ?? 'ACTIVE_ONLY',
        filter: query.filter,
        orderBy: query.orderBy,
        limit: limit + 1,
        offset,
        countRows: (sql, params) => this.db.prepare<{ n: number }>(sql).get(...params)!.n,
      });
      const ids = this.db.prepare<{ id: number }>(compiled.sql).all(...compiled.params);
      const runs = this.toRuns(ids.slice(0, limit).map(({ id }) => this.runRowById(id)));
      return ids.length > limit ? { items: runs, next_page_token: encodePageToken({ offset: offset + limit }) } : { items: runs };
    });
  }

  // ---------------------------------------------------------------- logging

  logMetric(runId: string, metric: LoggedMetric): void {
    this.logBatch(runId, { metrics: [metric] });
  }

  logParam(runId: string, param: KeyValue): void {
    this.logBatch(runId, { params: [param] });
  }

  setTag(runId: string, tag: KeyValue): void {
    this.logBatch(runId, { tags: [tag] });
  }

  deleteTag(runId: string, key: string): void {
    this.db.transaction(() => {
      const row = this.activeRunRow(runId);
      const { changes } = this.sql('DELETE FROM tags WHERE run_id = ? AND key = ?').run(row.id, key);
      if (changes === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    });
  }

  /**
   * Metrics, params and tags in one transaction: either everything is stored or nothing is (a changed
   * param rejects the whole batch).
   */
  logBatch(runId: string, batch: Batch): void {
    const metrics = batch.metrics ?? [];
    const params = batch.params ?? [];
    const tags = batch.tags ?? [];
    validateBatchLimits(metrics.length, params.length, tags.length);
    metrics.forEach((metric, i) => validateKey(metric.key, `metrics[${i}].key`));
    params.forEach((param, i) => validateKey(param.key, `params[${i}].key`));
    tags.forEach((tag, i) => validateKey(tag.key, `tags[${i}].key`));
    const seen = new Set<string>();
    const duplicates = params.filter((p) => seen.size === seen.add(p.key).size).map((p) => p.key);
    if (duplicates.length > 0) {
      throw invalidParameter(
        `Duplicate parameter keys have been submitted: ${JSON.stringify(duplicates)}. Please ensure the request contains only one param value per param key.`,
      );
    }
    this.db.transaction(() => {
      const row = this.activeRunRow(runId);
      this.insertParams(row, params);
      this.insertMetrics(row.id, metrics);
      if (metrics.some((metric) => metric.model_id)) this.models.recordMetrics(row.run_uuid, metrics);
      for (const tag of tags) {
        const value = truncate(tag.value, LIMITS.runTagValueLength);
        this.upsertTag(row.id, tag.key, value);
        if (tag.key === RUN_NAME_TAG && value !== '') this.sql('UPDATE runs SET name = ? WHERE id = ?').run(value, row.id);
      }
    });
  }

  private insertParams(row: RunRow, params: KeyValue[]): void {
    const existing = this.sql<{ value: string }>('SELECT value FROM params WHERE run_id = ? AND key = ?');
    const insert = this.sql('INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)');
    for (const param of params) {
      const value = truncate(param.value, LIMITS.paramValueLength);
      const old = existing.get(row.id, param.key);
      if (old === undefined) insert.run(row.id, param.key, value);
      else if (old.value !== value) {
        throw invalidParameter(
          `Changing param values is not allowed. Param with key='${param.key}' was already logged with value='${old.value}' for run ID='${row.run_uuid}'. Attempted logging new value '${value}'.`,
        );
      }
    }
  }

  /** Appends points (exact duplicates ignored) and moves each series' latest point forward. */
  private insertMetrics(runId: number, metrics: Metric[]): void {
    if (metrics.length === 0) return;
    const latestByKey = new Map<string, Metric>();
    for (const metric of metrics) {
      const current = latestByKey.get(metric.key);
      if (!current || isLater(metric, current)) latestByKey.set(metric.key, metric);
    }
    const seriesIds = new Map<string, number>();
    const select = this.sql<LatestRow>('SELECT id, value, is_nan, timestamp, step FROM latest_metrics WHERE run_id = ? AND key = ?');
    for (const [key, latest] of latestByKey) {
      const stored = select.get(runId, key);
      if (!stored) {
        const { lastInsertRowid } = this.sql(
          'INSERT INTO latest_metrics (run_id, key, value, is_nan, timestamp, step) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(runId, key, storedValue(latest.value), nanFlag(latest.value), latest.timestamp, latest.step);
        seriesIds.set(key, Number(lastInsertRowid));
        continue;
      }
      seriesIds.set(key, stored.id);
      const storedMetric = { key, value: stored.is_nan ? NaN : stored.value, timestamp: stored.timestamp, step: stored.step };
      if (isLater(latest, storedMetric)) {
        this.sql('UPDATE latest_metrics SET value = ?, is_nan = ?, timestamp = ?, step = ? WHERE id = ?').run(
          storedValue(latest.value),
          nanFlag(latest.value),
          latest.timestamp,
          latest.step,
          stored.id,
        );
      }
    }
    const insert = this.sql('INSERT OR IGNORE INTO metrics (series_id, timestamp, step, value, is_nan) VALUES (?, ?, ?, ?, ?)');
    const added = new Map<number, number>();
    for (const metric of metrics) {
      const seriesId = seriesIds.get(metric.key)!;
      const { changes } = insert.run(seriesId, metric.timestamp, metric.step, storedValue(metric.value), nanFlag(metric.value));
      if (changes > 0) added.set(seriesId, (added.get(seriesId) ?? 0) + changes);
    }
    const count = this.sql('UPDATE latest_metrics SET points = points + ? WHERE id = ?');
    for (const [seriesId, n] of added) count.run(n, seriesId);
  }

  /** Datasets are stored once per experiment (name, digest); a run links to each once. */
  logInputs(runId: string, datasets: DatasetInput[], models: { model_id: string }[] = []): void {
    for (const [i, input] of datasets.entries()) validateDatasetInput(input, i);
    this.db.transaction(() => {
      const row = this.activeRunRow(runId);
      for (const input of datasets) {
        const { dataset } = input;
        this.sql(
          `INSERT OR IGNORE INTO datasets (experiment_id, name, digest, source_type, source, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ).run(row.experiment_id, dataset.name, dataset.digest, dataset.source_type, dataset.source, dataset.schema ?? null, dataset.profile ?? null);
        const datasetId = this.sql<{ id: number }>('SELECT id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?').get(
          row.experiment_id,
          dataset.name,
          dataset.digest,
        )!.id;
        const { changes, lastInsertRowid } = this.sql('INSERT OR IGNORE INTO inputs (dataset_id, run_id) VALUES (?, ?)').run(datasetId, row.id);
        if (changes === 0) continue; // already linked: its tags were stored the first time
        input.tags.forEach((tag, position) =>
          this.sql('INSERT INTO input_tags (input_id, position, key, value) VALUES (?, ?, ?, ?)').run(Number(lastInsertRowid), position, tag.key, tag.value),
        );
      }
      for (const model of models) {
        this.sql('INSERT OR IGNORE INTO run_model_inputs (run_id, model_id) VALUES (?, ?)').run(row.id, model.model_id);
      }
    });
  }

  logOutputs(runId: string, models: { model_id: string; step: number }[]): void {
    this.db.transaction(() => {
      const row = this.activeRunRow(runId);
      const next = this.sql<{ n: number }>('SELECT coalesce(max(position) + 1, 0) AS n FROM run_model_outputs WHERE run_id = ?').get(row.id)!.n;
      models.forEach((model, i) =>
        this.sql('INSERT INTO run_model_outputs (run_id, position, model_id, step) VALUES (?, ?, ?, ?)').run(row.id, next + i, model.model_id, model.step),
      );
    });
  }

  // ---------------------------------------------------------------- rows and assembly

  private upsertTag(runId: number, key: string, value: string): void {
    this.sql('INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value').run(runId, key, value);
  }

  private runRow(runUuid: string): RunRow {
    const row = this.sql<RunRow>('SELECT * FROM runs WHERE run_uuid = ?').get(runUuid);
    if (!row) throw notFound(`Run with id=${runUuid} not found`);
    return row;
  }

  private runRowById(id: number): RunRow {
    return this.sql<RunRow>('SELECT * FROM runs WHERE id = ?').get(id)!;
  }

  private activeRunRow(runUuid: string): RunRow {
    const row = this.runRow(runUuid);
    if (row.lifecycle_stage !== 'active') {
      throw invalidParameter(`The run ${runUuid} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`);
    }
    return row;
  }

  private toRunInfo(row: RunRow): RunInfo {
    const info: RunInfo = {
      run_id: row.run_uuid,
      run_uuid: row.run_uuid,
      run_name: row.name,
      experiment_id: String(row.experiment_id),
      user_id: row.user_id,
      status: row.status,
      start_time: row.start_time,
      artifact_uri: row.artifact_uri,
      lifecycle_stage: row.lifecycle_stage,
    };
    if (row.end_time !== null) info.end_time = row.end_time;
    return info;
  }

  private toRun(row: RunRow): Run {
    return this.toRuns([row])[0]!;
  }

  /** Whole runs for a page of rows: one query per child table for all of them, not one per run. */
  private toRuns(rows: readonly RunRow[]): Run[] {
    const ids = JSON.stringify(rows.map((row) => row.id));
    const byRun = <T extends { run_id: number }>(sql: string): Map<number, Omit<T, 'run_id'>[]> => {
      const grouped = new Map<number, Omit<T, 'run_id'>[]>();
      for (const { run_id, ...rest } of this.sql<T>(sql).all(ids)) {
        const list = grouped.get(run_id);
        if (list) list.push(rest);
        else grouped.set(run_id, [rest]);
      }
      return grouped;
    };
    const inRows = 'run_id IN (SELECT value FROM json_each(?))';
    const metrics = byRun<{ run_id: number; key: string; value: number; is_nan: number; timestamp: number; step: number }>(
      `SELECT run_id, key, value, is_nan, timestamp, step FROM latest_metrics WHERE ${inRows} ORDER BY run_id, key`,
    );
    const params = byRun<KeyValue & { run_id: number }>(`SELECT run_id, key, value FROM params WHERE ${inRows} ORDER BY run_id, key`);
    const tags = byRun<KeyValue & { run_id: number }>(`SELECT run_id, key, value FROM tags WHERE ${inRows} ORDER BY run_id, key`);
    const datasets = this.datasetInputs(ids);
    const modelInputs = byRun<{ run_id: number; model_id: string }>(`SELECT run_id, model_id FROM run_model_inputs WHERE ${inRows} ORDER BY run_id, model_id`);
    const modelOutputs = byRun<{ run_id: number; model_id: string; step: number }>(
      `SELECT run_id, model_id, step FROM run_model_outputs WHERE ${inRows} ORDER BY run_id, position`,
    );
    return rows.map((row) => ({
      info: this.toRunInfo(row),
      data: {
        metrics: (metrics.get(row.id) ?? []).map((m) => ({ key: m.key, value: m.is_nan ? NaN : m.value, timestamp: m.timestamp, step: m.step })),
        params: params.get(row.id) ?? [],
        tags: tags.get(row.id) ?? [],
      },
      inputs: { dataset_inputs: datasets.get(row.id) ?? [], model_inputs: modelInputs.get(row.id) ?? [] },
      outputs: { model_outputs: modelOutputs.get(row.id) ?? [] },
    }));
  }

  /** Dataset inputs of the runs in `ids` (a JSON array of run row ids), by run, in logging order. */
  private datasetInputs(ids: string): Map<number, DatasetInput[]> {
    const rows = this.sql<{ run_id: number; input_id: number; name: string; digest: string; source_type: string; source: string; schema: string | null; profile: string | null }>(
      `SELECT i.run_id, i.id AS input_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
       FROM inputs i JOIN datasets d ON d.id = i.dataset_id WHERE i.run_id IN (SELECT value FROM json_each(?)) ORDER BY i.id`,
    ).all(ids);
    const byRun = new Map<number, DatasetInput[]>();
    for (const r of rows) {
      const dataset: DatasetInput['dataset'] = { name: r.name, digest: r.digest, source_type: r.source_type, source: r.source };
      if (r.schema !== null) dataset.schema = r.schema;
      if (r.profile !== null) dataset.profile = r.profile;
      const tags = this.sql<KeyValue>('SELECT key, value FROM input_tags WHERE input_id = ? ORDER BY position').all(r.input_id);
      const list = byRun.get(r.run_id);
      if (list) list.push({ tags, dataset });
      else byRun.set(r.run_id, [{ tags, dataset }]);
    }
    return byRun;
  }

}

/** MLflow's latest-metric rule: the greatest (step, timestamp, value); NaN counts as lowest value. */
function isLater(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  if (Number.isNaN(b.value)) return !Number.isNaN(a.value);
  return a.value > b.value;
}

const storedValue = (value: number): SqlValue => (Number.isNaN(value) ? 0 : value);
const nanFlag = (value: number): number => (Number.isNaN(value) ? 1 : 0);

function lastValue(tags: KeyValue[], key: string): string | undefined {
  return tags.filter((t) => t.key === key).at(-1)?.value;
}

function validateArtifactLocation(location: string): void {
  checkLength('artifact_location', location, LIMITS.artifactLocationLength);
  if (location.includes('#') || /(^|[/\\])\.\.([/\\]|$)/.test(location)) {
    throw invalidParameter(`Invalid artifact location '${location}': it must not contain fragments or '..' segments.`);
  }
}

function validateDatasetInput(input: DatasetInput, index: number): void {
  const { dataset } = input;
  const at = `datasets[${index}]`;
  if (!dataset?.name) throw invalidParameter(`Missing value for required parameter '${at}.dataset.name'.`);
  if (!dataset.digest) throw invalidParameter(`Missing value for required parameter '${at}.dataset.digest'.`);
  if (!dataset.source_type) throw invalidParameter(`Missing value for required parameter '${at}.dataset.source_type'.`);
  if (dataset.source === undefined) throw invalidParameter(`Missing value for required parameter '${at}.dataset.source'.`);
  checkLength(`${at}.dataset.name`, dataset.name, LIMITS.datasetName);
  checkLength(`${at}.dataset.digest`, dataset.digest, LIMITS.datasetDigest);
  checkLength(`${at}.dataset.source`, dataset.source, LIMITS.datasetSource);
  if (dataset.schema) checkLength(`${at}.dataset.schema`, dataset.schema, LIMITS.datasetSchema);
  if (dataset.profile) checkLength(`${at}.dataset.profile`, dataset.profile, LIMITS.datasetProfile);
  input.tags.forEach((tag, i) => {
    checkLength(`${at}.tags[${i}].key`, tag.key, LIMITS.inputTagKey);
    checkLength(`${at}.tags[${i}].value`, tag.value, LIMITS.inputTagValue);
  });
}
