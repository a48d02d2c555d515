import { posix, resolve, sep } from 'node:path';
import type { SqlDriver, SqlStatement } from './driver';
import { MODEL_VERSION_STAGES, type KeyValue, type ModelVersion, type ModelVersionStage, type Page, type RegisteredModel } from './entities';
import { alreadyExists, invalidParameter, MlflowError, notFound } from './errors';
import { decodeOffsetToken, encodePageToken } from './page-token';
import { compileModelVersionSearch, compileRegisteredModelSearch, DELETED_STAGE, PROMPT_TAG, registryPageSize } from './search/registry';
import { checkLength, invalidValueMessage, missingValueMessage, validateKey } from './validation';

type Prepare = <Row>(sql: string) => SqlStatement<Row>;

/** What the registry needs of the rest of the store. */
export interface RegistryContext {
  readonly db: SqlDriver;
  readonly sql: Prepare;
  readonly now: () => number;
  /** The active logged model (throws RESOURCE_DOES_NOT_EXIST otherwise). */
  readonly loggedModel: (modelId: string) => { artifact_uri: string; source_run_id?: string; tags: KeyValue[] };
  readonly setLoggedModelTag: (modelId: string, tag: KeyValue) => void;
  /** The run's artifact root, or undefined when there is no such run. */
  readonly runArtifactUri: (runId: string) => string | undefined;
}

export interface NewModelVersion {
  name: string;
  source: string;
  run_id?: string;
  tags?: KeyValue[];
  run_link?: string;
  description?: string;
  model_id?: string;
}

interface RegisteredModelRow {
  id: number;
  name: string;
  description: string | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

interface VersionRow {
  id: number;
  registered_model_id: number;
  version: number;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string | null;
  current_stage: ModelVersionStage;
  source: string;
  storage_location: string | null;
  run_id: string | null;
  run_link: string | null;
  status_message: string | null;
  model_id: string | null;
}

/** MLflow's limits for registry tags and aliases (mlflow/utils/validation.py). */
const REGISTRY_TAG_VALUE_LENGTH = 100_000;
const ALIAS_LENGTH = 255;
const LOGGED_MODEL_VERSIONS_TAG = 'mlflow.modelVersions';
const ACTIVE_STAGES: readonly ModelVersionStage[] = ['Staging', 'Production'];
const VERSION_COLUMNS = 'mv.id, mv.registered_model_id, mv.version, mv.creation_timestamp, mv.last_updated_timestamp, mv.description, mv.current_stage, mv.source, mv.storage_location, mv.run_id, mv.run_link, mv.status_message, mv.model_id';

/**
 * The model registry: registered models with their versions, stages, aliases and tags. Versions are
 * numbered per model from the highest number ever used, so a deleted version's number is never reused:
 * deletion only moves the version to the internal stage `Deleted_Internal`, which no read returns.
 */
export class ModelRegistry {
  constructor(private readonly ctx: RegistryContext) {}

  // ---------------------------------------------------------------- registered models

  createRegisteredModel(name: string, tags: KeyValue[] = [], description?: string): RegisteredModel {
    validateModelName(name);
    tags.forEach(validateRegistryTag);
    return this.ctx.db.transaction(() => {
      if (this.ctx.sql('SELECT 1 FROM registered_models WHERE name = ?').get(name)) {
        throw alreadyExists(`Registered Model (name=${name}) already exists.`);
      }
      const now = this.ctx.now();
      const { lastInsertRowid } = this.ctx
        .sql('INSERT INTO registered_models (name, description, creation_timestamp, last_updated_timestamp) VALUES (?, ?, ?, ?)')
        .run(name, description ?? null, now, now);
      const id = Number(lastInsertRowid);
      for (const tag of tags) this.upsertModelTag(id, tag);
      return this.toRegisteredModel(this.modelRowById(id));
    });
  }

  getRegisteredModel(name: string): RegisteredModel {
    return this.ctx.db.transaction(() => this.toRegisteredModel(this.modelRow(name)));
  }

  /** Renames the model; its versions and aliases follow (they hang off the model's id). */
  renameRegisteredModel(name: string, newName: string): RegisteredModel {
    if (newName.trim() === '') throw invalidParameter(missingValueMessage('new_name'));
    validateModelName(newName);
    return this.ctx.db.transaction(() => {
      const row = this.modelRow(name);
      const clash = this.ctx.sql<{ id: number }>('SELECT id FROM registered_models WHERE name = ?').get(newName);
      if (clash && clash.id !== row.id) throw alreadyExists(`Registered Model (name=${newName}) already exists.`);
      const now = this.ctx.now();
      this.ctx.sql('UPDATE registered_models SET name = ?, last_updated_timestamp = ? WHERE id = ?').run(newName, now, row.id);
      this.ctx.sql('UPDATE model_versions SET last_updated_timestamp = ? WHERE registered_model_id = ?').run(now, row.id);
      return this.toRegisteredModel(this.modelRowById(row.id));
    });
  }

  updateRegisteredModel(name: string, description: string | undefined): RegisteredModel {
    return this.ctx.db.transaction(() => {
      const row = this.modelRow(name);
      this.ctx.sql('UPDATE registered_models SET description = ?, last_updated_timestamp = ? WHERE id = ?').run(description ?? null, this.ctx.now(), row.id);
      return this.toRegisteredModel(this.modelRowById(row.id));
    });
  }

  /** Deletes the model with all its versions, tags and aliases; the name can be registered again. */
  deleteRegisteredModel(name: string): void {
    this.ctx.db.transaction(() => {
      const row = this.modelRow(name);
      this.ctx.sql('DELETE FROM registered_models WHERE id = ?').run(row.id);
    });
  }

  searchRegisteredModels(query: { filter?: string; orderBy?: readonly string[]; maxResults?: number; pageToken?: string } = {}): Page<RegisteredModel> {
    const limit = registryPageSize(query.maxResults, 100, 1000);
    const offset = decodeOffsetToken(query.pageToken);
    const compiled = compileRegisteredModelSearch({ filter: query.filter, orderBy: query.orderBy, limit: limit + 1, offset });
    return this.ctx.db.transaction(() => {
      const ids = this.ctx.db.prepare<{ id: number }>(compiled.sql).all(...compiled.params);
      const items = ids.slice(0, limit).map(({ id }) => this.toRegisteredModel(this.modelRowById(id)));
      return ids.length > limit ? { items, next_page_token: encodePageToken({ offset: offset + limit }) } : { items };
    });
  }

  setRegisteredModelTag(name: string, tag: KeyValue): void {
    validateModelName(name);
    validateRegistryTag(tag);
    this.ctx.db.transaction(() => this.upsertModelTag(this.modelRow(name).id, tag));
  }

  /** A missing tag is not an error (as in MLflow); an unknown model is. */
  deleteRegisteredModelTag(name: string, key: string): void {
    validateModelName(name);
    validateKey(key, 'key');
    this.ctx.db.transaction(() => {
      this.ctx.sql('DELETE FROM registered_model_tags WHERE registered_model_id = ? AND key = ?').run(this.modelRow(name).id, key);
    });
  }

  /** The highest version in each requested stage (case-insensitive; none or empty = all four). */
  getLatestVersions(name: string, stages: readonly string[] = []): ModelVersion[] {
    const wanted = new Set(stages.length === 0 ? MODEL_VERSION_STAGES : stages.map(canonicalStage));
    return this.ctx.db.transaction(() => {
      const row = this.modelRow(name);
      return this.latestVersionRows(row.id)
        .filter((version) => wanted.has(version.current_stage))
        .map((version) => this.toModelVersion(version, row.name));
    });
  }

  // ---------------------------------------------------------------- aliases

  setAlias(name: string, alias: string, version: string): void {
    validateModelName(name);
    validateAlias(alias);
    if (alias.toLowerCase() === 'latest') throw invalidParameter("'latest' alias name (case insensitive) is reserved.");
    if (/^[vV]\d+$/.test(alias)) throw invalidParameter(`Version alias name '${alias}' is reserved.`);
    const number = parseVersion(version);
    this.ctx.db.transaction(() => {
      const model = this.modelRow(name);
      this.versionRow(model, number);
      this.ctx
        .sql('INSERT INTO registered_model_aliases (registered_model_id, alias, version) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET version = excluded.version')
        .run(model.id, alias, number);
    });
  }

  /** A missing alias is not an error; an unknown model is. */
  deleteAlias(name: string, alias: string): void {
    validateModelName(name);
    validateAlias(alias);
    this.ctx.db.transaction(() => {
      this.ctx.sql('DELETE FROM registered_model_aliases WHERE registered_model_id = ? AND alias = ?').run(this.modelRow(name).id, alias);
    });
  }

  /** The version an alias points at; `latest` (any case) is the newest version in any stage. */
  getVersionByAlias(name: string, alias: string): ModelVersion {
    validateModelName(name);
    validateAlias(alias);
    return this.ctx.db.transaction(() => {
      const model = this.modelRow(name);
      if (alias.toLowerCase() === 'latest') {
        const newest = this.latestVersionRows(model.id).reduce<VersionRow | undefined>((best, v) => (!best || v.version > best.version ? v : best), undefined);
        if (!newest) throw notFound(`Latest version not found for model ${name}.`);
        return this.toModelVersion(newest, model.name);
      }
      const found = this.ctx
        .sql<{ version: number }>('SELECT version FROM registered_model_aliases WHERE registered_model_id = ? AND alias = ?')
        .get(model.id, alias);
      if (!found) throw invalidParameter(`Registered model alias ${alias} not found.`);
      return this.toModelVersion(this.versionRow(model, found.version), model.name);
    });
  }

  // ---------------------------------------------------------------- versions

  /**
   * Registers a new version. The source decides where get-download-uri points: a logged model's
   * `models:/<model_id>` resolves to its artifact location (and lends its source run); `models:/<name>/<v>`
   * (or a stage, `latest` or `@alias`) to that version's location, with its run and model; anything else is
   * its own location. A version of a logged model is appended to the model's `mlflow.modelVersions` tag.
   */
  createModelVersion(request: NewModelVersion): ModelVersion {
    validateModelName(request.name);
    const tags = request.tags ?? [];
    tags.forEach(validateRegistryTag);
    return this.ctx.db.transaction(() => {
      const model = this.modelRow(request.name);
      const lineage = this.resolveSource(request);
      const now = this.ctx.now();
      const next = this.ctx.sql<{ n: number }>('SELECT coalesce(max(version), 0) + 1 AS n FROM model_versions WHERE registered_model_id = ?').get(model.id)!.n;
      const { lastInsertRowid } = this.ctx
        .sql(
          `INSERT INTO model_versions (registered_model_id, version, creation_timestamp, last_updated_timestamp, description, current_stage, source,
             storage_location, run_id, run_link, model_id)
           VALUES (?, ?, ?, ?, ?, 'None', ?, ?, ?, ?, ?)`,
        )
        .run(model.id, next, now, now, request.description ?? null, lineage.source, lineage.storageLocation, lineage.runId ?? null, request.run_link ?? null, lineage.modelId ?? null);
      const id = Number(lastInsertRowid);
      for (const tag of tags) this.upsertVersionTag(id, tag);
      this.touchModel(model.id, now);
      if (lineage.modelId) this.recordOnLoggedModel(lineage.modelId, model.name, next);
      return this.toModelVersion(this.versionRowById(id), model.name);
    });
  }

  getModelVersion(name: string, version: string): ModelVersion {
    validateModelName(name);
    const number = parseVersion(version);
    return this.ctx.db.transaction(() => {
      const model = this.modelRow(name);
      return this.toModelVersion(this.versionRow(model, number), model.name);
    });
  }

  /** Changes the description only; the registered model's timestamp stays (as in MLflow). */
  updateModelVersion(name: string, version: string, description: string | undefined): ModelVersion {
    validateModelName(name);
    const number = parseVersion(version);
    return this.ctx.db.transaction(() => {
      const model = this.modelRow(name);
      const row = this.versionRow(model, number);
      this.ctx.sql('UPDATE model_versions SET description = ?, last_updated_timestamp = ? WHERE id = ?').run(description ?? null, this.ctx.now(), row.id);
      return this.toModelVersion(this.versionRowById(row.id), model.name);
    });
  }

  /**
   * Moves the version to `stage` (case-insensitive). With archiveExisting (Staging and Production only),
   * the model's other versions in that stage move to Archived.
   */
  transitionStage(name: string, version: string, stage: string, archiveExisting = false): ModelVersion {
    validateModelName(name);
    const target = canonicalStage(stage);
    if (archiveExisting && !ACTIVE_STAGES.includes(target)) {
      throw invalidParameter(
        `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ${ACTIVE_STAGES.join(', ')}`,
      );
    }
    const number = parseVersion(version);
    return this.ctx.db.transaction(() => {
      const model = this.modelRow(name);
      const row = this.versionRow(model, number);
      const now = this.ctx.now();
      if (archiveExisting) {
        this.ctx
          .sql(`UPDATE model_versions SET current_stage = 'Archived', last_updated_timestamp = ? WHERE registered_model_id = ? AND current_stage = ? AND id != ?`)
          .run(now, model.id, target, row.id);
      }
      this.ctx.sql('UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? WHERE id = ?').run(target, now, row.id);
      this.touchModel(model.id, now);
      return this.toModelVersion(this.versionRowById(row.id), model.name);
    });
  }

  /** Soft delete: the version disappears from every read, loses its aliases, and its number is never reused. */
  deleteModelVersion(name: string, version: string): void {
    validateModelName(name);
    const number = parseVersion(version);
    this.ctx.db.transaction(() => {
      const model = this.modelRow(name);
      const row = this.versionRow(model, number);
      const now = this.ctx.now();
      this.ctx.sql('DELETE FROM registered_model_aliases WHERE registered_model_id = ? AND version = ?').run(model.id, number);
      // Like MLflow, forget what the version pointed at: only its number (and tags) remain.
      this.ctx
        .sql(
          `UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ?, description = NULL, source = 'REDACTED-SOURCE-PATH',
             storage_location = NULL, run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK', status_message = NULL WHERE id = ?`,
        )
        .run(DELETED_STAGE, now, row.id);
      this.touchModel(model.id, now);
    });
  }

  searchModelVersions(query: { filter?: string; orderBy?: readonly string[]; maxResults?: number; pageToken?: string } = {}): Page<ModelVersion> {
    const limit = registryPageSize(query.maxResults, 10_000, 200_000);
    const offset = decodeOffsetToken(query.pageToken);
    const compiled = compileModelVersionSearch({ filter: query.filter, orderBy: query.orderBy, limit: limit + 1, offset });
    return this.ctx.db.transaction(() => {
      const ids = this.ctx.db.prepare<{ id: number }>(compiled.sql).all(...compiled.params);
      const names = new Map<number, string>();
      const items = ids.slice(0, limit).map(({ id }) => {
        const row = this.versionRowById(id);
        let modelName = names.get(row.registered_model_id);
        if (modelName === undefined) {
          modelName = this.modelRowById(row.registered_model_id).name;
          names.set(row.registered_model_id, modelName);
        }
        return this.toModelVersion(row, modelName);
      });
      return ids.length > limit ? { items, next_page_token: encodePageToken({ offset: offset + limit }) } : { items };
    });
  }

  /** Where the client downloads the version's files from: its storage location, else its source. */
  getDownloadUri(name: string, version: string): string {
    validateModelName(name);
    const number = parseVersion(version);
    return this.ctx.db.transaction(() => {
      const row = this.versionRow(this.modelRow(name), number);
      return row.storage_location ?? row.source;
    });
  }

  setModelVersionTag(name: string, version: string, tag: KeyValue): void {
    validateModelName(name);
    const number = parseVersion(version);
    validateRegistryTag(tag);
    this.ctx.db.transaction(() => this.upsertVersionTag(this.versionRow(this.modelRow(name), number).id, tag));
  }

  /** A missing tag is not an error (as in MLflow); an unknown version is. */
  deleteModelVersionTag(name: string, version: string, key: string): void {
    validateModelName(name);
    const number = parseVersion(version);
    validateKey(key, 'key');
    this.ctx.db.transaction(() => {
      const row = this.versionRow(this.modelRow(name), number);
      this.ctx.sql('DELETE FROM model_version_tags WHERE version_id = ? AND key = ?').run(row.id, key);
    });
  }

  // ---------------------------------------------------------------- sources

  /**
   * MLflow 3.18's checks on a version's source (server/handlers.py `_create_model_version`): no host-addressed
   * schemes, no traversal, `runs:/` only with the same run_id, `mlflow-artifacts:` only inside the artifact
   * root of the given run or logged model, local paths only inside a local one. Then the lineage: where
   * the files are, and which run and logged model the version comes from.
   */
  private resolveSource(request: NewModelVersion): { source: string; storageLocation: string | null; runId?: string; modelId?: string } {
    let { source, run_id: runId, model_id: modelId } = request;
    const hasRunId = runId !== undefined;
    const hasModelId = modelId !== undefined;
    rejectHostAddressed(source);
    const uri = parseUri(source);
    let storageLocation: string | null = null;

    if (uri.scheme === 'models') {
      if (uri.authority !== undefined) {
        throw invalidParameter(`Invalid model version source: '${source}'. Registered model sources must use the active model registry.`);
      }
      const parsed = parseModelsUri(source, uri.path);
      if ('modelId' in parsed) {
        // Runboard also accepts a logged model's URI without model_id: the URI names the model.
        if (modelId && modelId !== parsed.modelId) invalidSource(source, 'model_id');
        modelId = parsed.modelId;
        const logged = this.loggedModelFor(source, parsed.modelId);
        storageLocation = logged.artifact_uri;
        runId = runId || logged.source_run_id;
      } else {
        const referenced = this.resolveRegistryUri(parsed);
        if ((hasRunId && (runId ?? '') !== (referenced.run_id ?? '')) || (hasModelId && (modelId ?? '') !== (referenced.model_id ?? ''))) {
          throw invalidParameter(`Invalid model version source: '${source}'. The run_id and model_id request parameters must match the referenced model version.`);
        }
        source = `models:/${parsed.name}/${referenced.version}`;
        storageLocation = referenced.storage_location ?? referenced.source;
        if (!hasRunId) runId = referenced.run_id ?? undefined;
        if (!hasModelId) modelId = referenced.model_id ?? undefined;
      }
    }

    if (modelId) {
      const logged = this.loggedModelFor(source, modelId);
      this.checkSourceAgainst(source, uri, 'model_id', logged.artifact_uri);
      runId = runId || logged.source_run_id;
    } else {
      this.checkSourceAgainst(source, uri, 'run_id', runId ? this.ctx.runArtifactUri(runId) : undefined, runId);
    }
    return { source, storageLocation: storageLocation ?? source, runId: runId || undefined, modelId: modelId || undefined };
  }

  /** The containment rules for a source relative to the run's (or logged model's) artifact root. */
  private checkSourceAgainst(source: string, uri: ParsedUri, idName: 'run_id' | 'model_id', root: string | undefined, runId?: string): void {
    if (isLocal(uri)) {
      const local = root !== undefined ? parseUri(root) : undefined;
      if (local && isLocal(local) && isInside(localPath(uri), localPath(local))) return;
      throw invalidParameter(
        `Invalid model version source: '${source}'. To use a local path as a model version source, the ${idName} request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the ${idName}.`,
      );
    }
    rejectTraversal(source);
    if (uri.scheme === 'runs') {
      if (idName === 'model_id' || uri.authority) invalidSource(source, idName);
      const sourceRun = uri.path.replace(/^\/+/, '').split('/')[0];
      if (runId && sourceRun === runId) return;
      invalidSource(source, 'run_id');
    }
    if (uri.scheme === 'models' && idName === 'run_id' && uri.authority === undefined) {
      const parsed = parseModelsUri(source, uri.path);
      if ('modelId' in parsed) invalidSource(source, 'model_id');
    }
    if (isMlflowArtifactSource(uri)) {
      if (root !== undefined && isWithinRoot(source, root)) return;
      invalidSource(source, idName);
    }
  }

  private loggedModelFor(source: string, modelId: string): { artifact_uri: string; source_run_id?: string } {
    try {
      return this.ctx.loggedModel(modelId);
    } catch (error) {
      if (error instanceof MlflowError && error.code === 'RESOURCE_DOES_NOT_EXIST') {
        throw notFound(`Unable to fetch model from model URI source artifact location '${source}'. Error: ${error.message}`);
      }
      throw error;
    }
  }

  /** `models:/<name>/<version|stage|latest>` or `models:/<name>@<alias>` → that (live) version. */
  private resolveRegistryUri(parsed: { name: string; version?: string; stage?: string; alias?: string }): VersionRow {
    const model = this.modelRow(parsed.name);
    if (this.ctx.sql(`SELECT 1 FROM registered_model_tags WHERE registered_model_id = ? AND key = ? AND lower(value) = 'true'`).get(model.id, PROMPT_TAG)) {
      throw invalidParameter(`Invalid model version source: 'models:/${parsed.name}'. Prompt versions cannot be used as model version sources.`);
    }
    if (parsed.version !== undefined) return this.versionRow(model, parseVersion(parsed.version));
    if (parsed.alias !== undefined) {
      const found = this.getVersionByAlias(model.name, parsed.alias);
      return this.versionRow(model, Number(found.version));
    }
    const candidates = this.latestVersionRows(model.id).filter((v) => parsed.stage === undefined || v.current_stage === canonicalStage(parsed.stage));
    const newest = candidates.reduce<VersionRow | undefined>((best, v) => (!best || v.version > best.version ? v : best), undefined);
    if (!newest) {
      throw notFound(`No versions of model with name '${parsed.name}'${parsed.stage !== undefined ? ` and stage '${parsed.stage}'` : ''} found`);
    }
    return newest;
  }

  /** The server's half of `mlflow.modelVersions`: append {"name", "version"} unless already listed. */
  private recordOnLoggedModel(modelId: string, name: string, version: number): void {
    const current = this.ctx.loggedModel(modelId).tags.find((tag) => tag.key === LOGGED_MODEL_VERSIONS_TAG)?.value;
    let list: unknown[] = [];
    if (current !== undefined) {
      try {
        const parsed: unknown = JSON.parse(current);
        if (Array.isArray(parsed)) list = parsed;
      } catch {
        // Not ours to repair: start a fresh list.
      }
    }
    const listed = list.some(
      (entry) => entry !== null && typeof entry === 'object' && Object.keys(entry).length === 2 && (entry as Record<string, unknown>).name === name && (entry as Record<string, unknown>).version === version,
    );
    if (!listed) list.push({ name, version });
    try {
      this.ctx.setLoggedModelTag(modelId, { key: LOGGED_MODEL_VERSIONS_TAG, value: pythonJson(list) });
    } catch (error) {
      // An over-long tag must not undo the registration; the client logs its own update's failure.
      if (!(error instanceof MlflowError)) throw error;
    }
  }

  // ---------------------------------------------------------------- rows and assembly

  private modelRow(name: string): RegisteredModelRow {
    validateModelName(name);
    const row = this.ctx.sql<RegisteredModelRow>('SELECT * FROM registered_models WHERE name = ?').get(name);
    if (!row) throw notFound(`Registered Model with name=${name} not found`);
    return row;
  }

  private modelRowById(id: number): RegisteredModelRow {
    return this.ctx.sql<RegisteredModelRow>('SELECT * FROM registered_models WHERE id = ?').get(id)!;
  }

  private versionRow(model: RegisteredModelRow, version: number): VersionRow {
    const row = this.ctx
      .sql<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM model_versions mv WHERE mv.registered_model_id = ? AND mv.version = ? AND mv.current_stage != ?`)
      .get(model.id, version, DELETED_STAGE);
    if (!row) throw notFound(`Model Version (name=${model.name}, version=${version}) not found`);
    return row;
  }

  private versionRowById(id: number): VersionRow {
    return this.ctx.sql<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM model_versions mv WHERE mv.id = ?`).get(id)!;
  }

  /** The highest live version in each stage, lowest version first. */
  private latestVersionRows(modelId: number): VersionRow[] {
    return this.ctx
      .sql<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM model_versions mv
         WHERE mv.registered_model_id = ? AND mv.current_stage != ?
           AND mv.version = (SELECT max(o.version) FROM model_versions o WHERE o.registered_model_id = mv.registered_model_id AND o.current_stage = mv.current_stage)
         ORDER BY mv.version`,
      )
      .all(modelId, DELETED_STAGE);
  }

  private touchModel(id: number, now: number): void {
    this.ctx.sql('UPDATE registered_models SET last_updated_timestamp = ? WHERE id = ?').run(now, id);
  }

  private upsertModelTag(id: number, tag: KeyValue): void {
    this.ctx
      .sql('INSERT INTO registered_model_tags (registered_model_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value')
      .run(id, tag.key, tag.value);
  }

  private upsertVersionTag(id: number, tag: KeyValue): void {
    this.ctx.sql('INSERT INTO model_version_tags (version_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value').run(id, tag.key, tag.value);
  }

  private aliasesOf(modelId: number): { alias: string; version: number }[] {
    return this.ctx.sql<{ alias: string; version: number }>('SELECT alias, version FROM registered_model_aliases WHERE registered_model_id = ? ORDER BY alias').all(modelId);
  }

  private toRegisteredModel(row: RegisteredModelRow): RegisteredModel {
    const model: RegisteredModel = {
      name: row.name,
      creation_timestamp: row.creation_timestamp,
      last_updated_timestamp: row.last_updated_timestamp,
      latest_versions: this.latestVersionRows(row.id).map((version) => this.toModelVersion(version, row.name)),
      tags: this.ctx.sql<KeyValue>('SELECT key, value FROM registered_model_tags WHERE registered_model_id = ? ORDER BY key').all(row.id),
      aliases: this.aliasesOf(row.id).map(({ alias, version }) => ({ alias, version: String(version) })),
    };
    if (row.description) model.description = row.description;
    return model;
  }

  private toModelVersion(row: VersionRow, name: string): ModelVersion {
    const version: ModelVersion = {
      name,
      version: String(row.version),
      creation_timestamp: row.creation_timestamp,
      last_updated_timestamp: row.last_updated_timestamp,
      current_stage: row.current_stage,
      source: row.source,
      status: 'READY',
      tags: this.ctx.sql<KeyValue>('SELECT key, value FROM model_version_tags WHERE version_id = ? ORDER BY key').all(row.id),
      aliases: this.aliasesOf(row.registered_model_id)
        .filter((alias) => alias.version === row.version)
        .map((alias) => alias.alias),
    };
    if (row.description !== null) version.description = row.description;
    if (row.run_id !== null) version.run_id = row.run_id;
    if (row.status_message !== null) version.status_message = row.status_message;
    if (row.run_link !== null) version.run_link = row.run_link;
    if (row.model_id !== null) version.model_id = row.model_id;
    return version;
  }
}

// ------------------------------------------------------------------ validation

/** Registered model names: non-blank, no `/` or `:`, and not a name that resolves to another path. */
export function validateModelName(name: string): void {
  if (name.trim() === '') throw invalidParameter(missingValueMessage('name'));
  if (name.includes('/') || name.includes(':')) throw invalidParameter(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  const normalized = posix.normalize(name);
  if (normalized !== name || name === '.' || name.startsWith('..')) {
    throw invalidParameter(
      invalidValueMessage(
        'name',
        name,
        `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${normalized}'`,
      ),
    );
  }
}

function validateRegistryTag(tag: KeyValue): void {
  validateKey(tag.key, 'key');
  checkLength('value', tag.value, REGISTRY_TAG_VALUE_LENGTH);
}

function validateAlias(alias: string): void {
  if (alias === '') throw invalidParameter('Registered model alias name cannot be empty.');
  if (!/^[\p{L}\p{N}_-]*$/u.test(alias)) {
    throw invalidParameter(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`);
  }
  checkLength('Registered model alias name', alias, ALIAS_LENGTH);
}

/** Python's int() on a version string: blanks around and a sign allowed, nothing else. */
export function parseVersion(version: string): number {
  const number = /^\s*[+-]?\d+\s*$/.test(version) ? Number(version) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw invalidParameter(`Parameter 'version' must be an integer, got '${version}'.`);
  return number;
}

export function canonicalStage(stage: string): ModelVersionStage {
  const found = MODEL_VERSION_STAGES.find((candidate) => candidate.toLowerCase() === stage.toLowerCase());
  if (!found) throw invalidParameter(`Invalid Model Version stage: ${stage}. Value must be one of ${MODEL_VERSION_STAGES.join(', ')}.`);
  return found;
}

// ------------------------------------------------------------------ source URIs

interface ParsedUri {
  /** Lower-cased; '' for a plain path (and for Windows drive letters). */
  scheme: string;
  /** The text after `//`, or undefined when the URI has none. */
  authority: string | undefined;
  path: string;
}

function parseUri(uri: string): ParsedUri {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(uri);
  if (!match || match[1]!.length === 1) return { scheme: '', authority: undefined, path: uri.replace(/[?#].*$/s, '') };
  let rest = match[2]!.replace(/[?#].*$/s, '');
  let authority: string | undefined;
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
  }
  return { scheme: match[1]!.toLowerCase(), authority: authority === '' ? undefined : authority, path: rest };
}

const HOST_ADDRESSED_SCHEMES = new Set(['ftp', 'sftp', 'hdfs', 'viewfs', 'http', 'https', 'mlflow-artifacts', 'r2', 'b2', 'abfss']);

/** The server never connects to hosts named in a source (MLflow's artifact host policy, no trusted hosts). */
function rejectHostAddressed(source: string): void {
  const uri = parseUri(source);
  if (!HOST_ADDRESSED_SCHEMES.has(uri.scheme)) return;
  // `mlflow-artifacts:/path` resolves against this server; with a host it would mean another one.
  if (uri.scheme === 'mlflow-artifacts' && uri.authority === undefined) return;
  throw invalidParameter(
    `'source' cannot use the '${uri.scheme}' scheme: the '${uri.scheme}' scheme addresses a host other than the tracking server's configured artifact storage, so the server would connect to the host named in the URI.`,
  );
}

/** Python's unquote_plus: `+` is a space and %XX runs decode as UTF-8 (malformed escapes stay as they are). */
function unquotePlus(text: string): string {
  return text.replace(/\+/g, ' ').replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

function unquote(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

function iterativelyUnquote(text: string, decode: (s: string) => string): string {
  let current = text;
  for (let i = 0; i < 100; i++) {
    const next = decode(current);
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** No `..` segments, NUL bytes or paths that normalise differently, however many times it is URL-encoded. */
function rejectTraversal(source: string): void {
  const decoded = iterativelyUnquote(source, unquotePlus);
  const path = parseUri(decoded).path.replace(/\/+$/, '').replace(/\/+/g, '/');
  const normalized = path.startsWith('/') ? posix.normalize(path) : undefined;
  if (path.includes('\0') || decoded.split('/').some((part) => part === '..') || normalized !== path) {
    throw invalidParameter(
      `Invalid model version source: '${decoded}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.`,
    );
  }
}

function invalidSource(source: string, idName: string): never {
  throw invalidParameter(`Invalid model version source: '${source}'. The ${idName} request parameter must identify the resource that contains the source.`);
}

function isLocal(uri: ParsedUri): boolean {
  if (uri.scheme === '') return true;
  if (uri.scheme !== 'file') return false;
  const host = (uri.authority ?? '').replace(/:.*$/, '');
  if (host && host !== '.' && !host.startsWith('localhost') && !host.startsWith('127.0.0.1')) {
    throw invalidParameter(`Invalid model version source: a file URI must not name a remote host ('${host}').`);
  }
  return true;
}

function localPath(uri: ParsedUri): string {
  return resolve(uri.scheme === 'file' ? unquote(uri.path) : uri.path);
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function uriParts(uri: string): { scheme: string; authority: string; parts: string[] } {
  const parsed = parseUri(uri);
  return {
    scheme: parsed.scheme,
    authority: (parsed.authority ?? '').toLowerCase(),
    parts: parsed.path
      .split('/')
      .filter(Boolean)
      .map((part) => iterativelyUnquote(part, unquote)),
  };
}

function isWithinRoot(source: string, root: string): boolean {
  const s = uriParts(source);
  const r = uriParts(root);
  return s.scheme === r.scheme && s.authority === r.authority && r.parts.length > 0 && r.parts.every((part, i) => s.parts[i] === part);
}

function isMlflowArtifactSource(uri: ParsedUri): boolean {
  if (uri.scheme === 'mlflow-artifacts') return true;
  if (uri.scheme !== 'http' && uri.scheme !== 'https') return false;
  return /(^|\/)api\/2\.0\/mlflow-artifacts\/artifacts(\/|$)/.test(uri.path);
}

type ParsedModelsUri = { modelId: string } | { name: string; version?: string; stage?: string; alias?: string };

/** The client's reading of `models:/...` (mlflow/store/artifact/utils/models.py `_parse_model_uri`). */
function parseModelsUri(source: string, path: string): ParsedModelsUri {
  const improper = (): never => invalidSource(source, 'model_id');
  if (!path.startsWith('/') || path.length <= 1) improper();
  const parts = path.replace(/^\/+/, '').split('/');
  if (parts.length > 2 || parts[0]!.trim() === '') improper();
  if (parts.length === 2) {
    const [name, suffix] = parts as [string, string];
    if (suffix.trim() === '') improper();
    if (/^\d+$/.test(suffix)) return { name, version: suffix };
    if (suffix.toLowerCase() === 'latest') return { name };
    return { name, stage: suffix };
  }
  if (path.includes('@')) {
    const at = parts[0]!.lastIndexOf('@');
    const alias = parts[0]!.slice(at + 1);
    if (alias.trim() === '') improper();
    return { name: parts[0]!.slice(0, at), alias };
  }
  return { modelId: parts[0]! };
}

/** Python's json.dumps: `", "` and `": "` separators, non-ASCII escaped. */
function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${pythonJson(key)}: ${pythonJson(item)}`)
      .join(', ')}}`;
  }
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return JSON.stringify(value) ?? 'null';
}
