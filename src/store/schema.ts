import type { SqlDriver } from './driver';

/**
 * Migrations, applied in order; the schema version is SQLite's user_version. Never edit a shipped
 * migration: append a new one.
 *
 * Shape notes (why it looks like this):
 * - Runs have an integer surrogate key (`id`) that every child table uses: joins and indexes stay small.
 * - A metric series is one row of `latest_metrics` (run, key) carrying the latest point by (step, timestamp,
 *   value); `metrics` holds the history keyed by that series id, ordered for paged history reads.
 * - SQLite stores NaN as NULL, so a non-finite flag sits beside the value (`is_nan`, value stored as 0).
 * - `latest_metrics.points` counts the series' rows in `metrics` (migration 2); every insert keeps it.
 */
const migrations: readonly string[] = [
  `
  CREATE TABLE experiments (
    experiment_id     INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL UNIQUE,
    artifact_location TEXT    NOT NULL,
    lifecycle_stage   TEXT    NOT NULL DEFAULT 'active',
    creation_time     INTEGER NOT NULL,
    last_update_time  INTEGER NOT NULL
  );
  CREATE TABLE experiment_tags (
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    key           TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    PRIMARY KEY (experiment_id, key)
  ) WITHOUT ROWID;

  CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    run_uuid        TEXT    NOT NULL UNIQUE,
    experiment_id   INTEGER NOT NULL REFERENCES experiments(experiment_id),
    name            TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    start_time      INTEGER NOT NULL,
    end_time        INTEGER,
    lifecycle_stage TEXT    NOT NULL DEFAULT 'active',
    deleted_time    INTEGER,
    artifact_uri    TEXT    NOT NULL
  );
  CREATE INDEX runs_by_experiment ON runs (experiment_id, lifecycle_stage, start_time DESC, run_uuid);

  CREATE TABLE params (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    key    TEXT    NOT NULL,
    value  TEXT    NOT NULL,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;

  CREATE TABLE tags (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    key    TEXT    NOT NULL,
    value  TEXT    NOT NULL,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;
  -- Search starts from the most selective param or tag clause: (key, value) finds its runs directly.
  CREATE INDEX params_by_key_value ON params (key, value);
  CREATE INDEX tags_by_key_value ON tags (key, value);

  CREATE TABLE latest_metrics (
    id        INTEGER PRIMARY KEY,
    run_id    INTEGER NOT NULL REFERENCES runs(id),
    key       TEXT    NOT NULL,
    value     REAL    NOT NULL,
    is_nan    INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    step      INTEGER NOT NULL,
    UNIQUE (run_id, key)
  );
  CREATE INDEX latest_metrics_by_key ON latest_metrics (key, value);

  CREATE TABLE metrics (
    series_id INTEGER NOT NULL REFERENCES latest_metrics(id),
    timestamp INTEGER NOT NULL,
    step      INTEGER NOT NULL,
    value     REAL    NOT NULL,
    is_nan    INTEGER NOT NULL,
    PRIMARY KEY (series_id, timestamp, step, value, is_nan)
  ) WITHOUT ROWID;
  -- Step-ordered reads (sampled history, step ranges) walk this covering index without sorting.
  CREATE INDEX metrics_sampling ON metrics (series_id, step, timestamp, value, is_nan);

  CREATE TABLE datasets (
    id            INTEGER PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    name          TEXT    NOT NULL,
    digest        TEXT    NOT NULL,
    source_type   TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    schema        TEXT,
    profile       TEXT,
    UNIQUE (experiment_id, name, digest)
  );
  CREATE TABLE inputs (
    id         INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    UNIQUE (run_id, dataset_id)
  );
  CREATE TABLE input_tags (
    input_id INTEGER NOT NULL REFERENCES inputs(id),
    position INTEGER NOT NULL,
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (input_id, position)
  ) WITHOUT ROWID;
  CREATE TABLE run_model_inputs (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    model_id TEXT    NOT NULL,
    PRIMARY KEY (run_id, model_id)
  ) WITHOUT ROWID;
  CREATE TABLE run_model_outputs (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    position INTEGER NOT NULL,
    model_id TEXT    NOT NULL,
    step     INTEGER NOT NULL,
    PRIMARY KEY (run_id, position)
  ) WITHOUT ROWID;

  CREATE TABLE logged_models (
    id                        INTEGER PRIMARY KEY,
    model_id                  TEXT    NOT NULL UNIQUE,
    experiment_id             INTEGER NOT NULL REFERENCES experiments(experiment_id),
    name                      TEXT    NOT NULL,
    artifact_uri              TEXT    NOT NULL,
    status                    TEXT    NOT NULL,
    status_message            TEXT,
    model_type                TEXT,
    source_run_id             TEXT,
    lifecycle_stage           TEXT    NOT NULL DEFAULT 'active',
    creation_timestamp_ms     INTEGER NOT NULL,
    last_updated_timestamp_ms INTEGER NOT NULL
  );
  CREATE INDEX logged_models_by_experiment ON logged_models (experiment_id, lifecycle_stage, creation_timestamp_ms DESC);
  CREATE TABLE logged_model_tags (
    model_id INTEGER NOT NULL REFERENCES logged_models(id),
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (model_id, key)
  ) WITHOUT ROWID;
  CREATE TABLE logged_model_params (
    model_id INTEGER NOT NULL REFERENCES logged_models(id),
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (model_id, key)
  ) WITHOUT ROWID;
  -- Metrics logged with a model_id: few per model, kept apart so plain ingest pays nothing for them.
  CREATE TABLE logged_model_metrics (
    id             INTEGER PRIMARY KEY,
    model_id       INTEGER NOT NULL REFERENCES logged_models(id),
    key            TEXT    NOT NULL,
    value          REAL    NOT NULL,
    is_nan         INTEGER NOT NULL,
    timestamp      INTEGER NOT NULL,
    step           INTEGER NOT NULL,
    run_id         TEXT,
    dataset_name   TEXT,
    dataset_digest TEXT
  );
  CREATE INDEX logged_model_metrics_by_model ON logged_model_metrics (model_id, key);

  -- Model registry. Children hang off the registered model's surrogate id, so a rename touches one row
  -- and deleting a model cascades to its versions, tags and aliases (the name becomes reusable).
  CREATE TABLE registered_models (
    id                     INTEGER PRIMARY KEY,
    name                   TEXT    NOT NULL UNIQUE,
    description            TEXT,
    creation_timestamp     INTEGER NOT NULL,
    last_updated_timestamp INTEGER NOT NULL
  );
  CREATE TABLE registered_model_tags (
    registered_model_id INTEGER NOT NULL REFERENCES registered_models(id) ON DELETE CASCADE,
    key                 TEXT    NOT NULL,
    value               TEXT    NOT NULL,
    PRIMARY KEY (registered_model_id, key)
  ) WITHOUT ROWID;
  -- Deleted versions stay as rows in stage 'Deleted_Internal' so their numbers are never reused.
  CREATE TABLE model_versions (
    id                     INTEGER PRIMARY KEY,
    registered_model_id    INTEGER NOT NULL REFERENCES registered_models(id) ON DELETE CASCADE,
    version                INTEGER NOT NULL,
    creation_timestamp     INTEGER NOT NULL,
    last_updated_timestamp INTEGER NOT NULL,
    description            TEXT,
    current_stage          TEXT    NOT NULL DEFAULT 'None',
    source                 TEXT    NOT NULL,
    storage_location       TEXT,
    run_id                 TEXT,
    run_link               TEXT,
    status_message         TEXT,
    model_id               TEXT,
    UNIQUE (registered_model_id, version)
  );
  CREATE INDEX model_versions_by_run ON model_versions (run_id);
  CREATE INDEX model_versions_by_update ON model_versions (last_updated_timestamp);
  CREATE TABLE model_version_tags (
    version_id INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    PRIMARY KEY (version_id, key)
  ) WITHOUT ROWID;
  CREATE INDEX model_version_tags_by_key_value ON model_version_tags (key, value);
  CREATE TABLE registered_model_aliases (
    registered_model_id INTEGER NOT NULL REFERENCES registered_models(id) ON DELETE CASCADE,
    alias               TEXT    NOT NULL,
    version             INTEGER NOT NULL,
    PRIMARY KEY (registered_model_id, alias)
  ) WITHOUT ROWID;
  `,
  `
  -- A metric clause of a search (key, is_nan = 0, value range) finds its runs from this index alone.
  DROP INDEX latest_metrics_by_key;
  CREATE INDEX latest_metrics_by_key ON latest_metrics (key, is_nan, value, run_id);
  -- Each series' number of points, kept by every insert: sampling a long history needs the count, and
  -- counting a million index entries per chart request is most of its cost.
  ALTER TABLE latest_metrics ADD COLUMN points INTEGER NOT NULL DEFAULT 0;
  UPDATE latest_metrics SET points = (SELECT count(*) FROM metrics WHERE series_id = latest_metrics.id);
  `,
];

export const SCHEMA_VERSION = migrations.length;

/** Brings the database to SCHEMA_VERSION; refuses a database written by a newer Runboard. */
export function migrate(db: SqlDriver): void {
  const current = db.prepare<{ user_version: number }>('PRAGMA user_version').get()?.user_version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `This store has schema version ${current}, newer than this Runboard understands (${SCHEMA_VERSION}). Update Runboard to open it.`,
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    });
  }
}
