// Bulk seeding for the large data sets (100k runs, a 1M-point metric), the same way for both servers.
//
// Loading 110k runs through mlflow server's REST API takes far longer than this benchmark's time budget
// (the search workload measures and reports that REST rate), so both stores are seeded identically by
// writing the same deterministic rows straight into each server's own SQLite schema, in a few large
// transactions, while the server is idle. The experiment and the history run are created through the REST
// API first, so every row the seed adds hangs off objects the server made itself. Both servers must then
// return identical search results and history counts, which the workloads check.
import Database from 'better-sqlite3';

/** Deterministic PRNG (mulberry32), so both servers receive exactly the same data. */
export function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (rng, values) => values[Math.floor(rng() * values.length)];
const BASE_TIME = 1_700_000_000_000;

/**
 * The i-th of `count` search runs: 3 params, 2 metrics (one point each), 3 tags. The search filter
 * `metrics.accuracy > 0.5 AND params.model = 'cnn' AND tags.team = 'red'` matches about 1 run in 32.
 */
export function* searchRuns(count, seed) {
  const rng = random(seed);
  for (let i = 0; i < count; i++) {
    const uuid = Array.from({ length: 4 }, () => Math.floor(rng() * 2 ** 32).toString(16).padStart(8, '0')).join('');
    const name = `run-${i}`;
    const start = BASE_TIME + i * 1000;
    yield {
      uuid,
      name,
      start,
      end: start + 500,
      params: [
        ['model', pick(rng, ['cnn', 'rnn', 'mlp', 'xgb'])],
        ['lr', pick(rng, ['0.001', '0.01', '0.1'])],
        ['batch_size', pick(rng, ['16', '32', '64', '128'])],
      ],
      metrics: [
        ['accuracy', rng()],
        ['loss', rng() * 2],
      ],
      tags: [
        ['mlflow.runName', name],
        ['team', pick(rng, ['red', 'blue', 'green', 'gold'])],
        ['stage', pick(rng, ['dev', 'prod'])],
      ],
    };
  }
}

/** The i-th point of the long history. */
export const historyPoint = (i) => ({ step: i, timestamp: BASE_TIME + i, value: Math.sin(i / 5000) + (i % 7) / 100 });

const USER = 'bench';
const CHUNK = 10_000;

function open(file) {
  const db = new Database(file, { timeout: 60_000 });
  return db;
}

/** Inserts `runs` (an iterable of searchRuns items) into experiment `experimentId` of the store. */
export function seedRuns(store, experimentId, runs) {
  const db = open(store.file);
  try {
    const adapter = store.kind === 'runboard' ? runboardRuns(db, Number(experimentId)) : mlflowRuns(db, Number(experimentId));
    let chunk = [];
    const flush = db.transaction((items) => items.forEach(adapter));
    for (const run of runs) {
      chunk.push(run);
      if (chunk.length === CHUNK) {
        flush(chunk);
        chunk = [];
      }
    }
    flush(chunk);
  } finally {
    db.close();
  }
}

function artifactLocation(db, experimentId) {
  const row = db.prepare('SELECT artifact_location FROM experiments WHERE experiment_id = ?').get(experimentId);
  if (!row) throw new Error(`experiment ${experimentId} not found in the store`);
  return row.artifact_location.replace(/\/+$/, '');
}

/** Runboard stores from before schema version 2 have no point count per series. */
const hasPointCount = (db) => db.prepare("SELECT 1 FROM pragma_table_info('latest_metrics') WHERE name = 'points'").get() !== undefined;

function runboardRuns(db, experimentId) {
  const location = artifactLocation(db, experimentId);
  const counted = hasPointCount(db);
  const run = db.prepare(
    `INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
     VALUES (?, ?, ?, ?, 'FINISHED', ?, ?, 'active', ?)`,
  );
  const param = db.prepare('INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)');
  const tag = db.prepare('INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)');
  const latest = db.prepare(`INSERT INTO latest_metrics (run_id, key, value, is_nan, timestamp, step${counted ? ', points' : ''}) VALUES (?, ?, ?, 0, ?, 0${counted ? ', 1' : ''})`);
  const point = db.prepare('INSERT INTO metrics (series_id, timestamp, step, value, is_nan) VALUES (?, ?, 0, ?, 0)');
  return (r) => {
    const id = Number(run.run(r.uuid, experimentId, r.name, USER, r.start, r.end, `${location}/${r.uuid}/artifacts`).lastInsertRowid);
    for (const [key, value] of r.params) param.run(id, key, value);
    for (const [key, value] of r.tags) tag.run(id, key, value);
    for (const [key, value] of r.metrics) {
      const series = Number(latest.run(id, key, value, r.end).lastInsertRowid);
      point.run(series, r.end, value);
    }
  };
}

function mlflowRuns(db, experimentId) {
  const location = artifactLocation(db, experimentId);
  const run = db.prepare(
    `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time,
                       source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
     VALUES (?, ?, 'UNKNOWN', '', '', ?, 'FINISHED', ?, ?, '', 'active', ?, ?, NULL)`,
  );
  const param = db.prepare('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)');
  const tag = db.prepare('INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)');
  const latest = db.prepare('INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, 0, 0, ?)');
  const point = db.prepare('INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, 0, 0)');
  return (r) => {
    run.run(r.uuid, r.name, USER, r.start, r.end, `${location}/${r.uuid}/artifacts`, experimentId);
    for (const [key, value] of r.params) param.run(key, value, r.uuid);
    for (const [key, value] of r.tags) tag.run(key, value, r.uuid);
    for (const [key, value] of r.metrics) {
      latest.run(key, value, r.end, r.uuid);
      point.run(key, value, r.end, r.uuid);
    }
  };
}

/** Appends points 0..count-1 of historyPoint() to metric `key` of the (REST-created) run `runUuid`. */
export function seedHistory(store, runUuid, key, count) {
  const db = open(store.file);
  try {
    const last = historyPoint(count - 1);
    if (store.kind === 'runboard') {
      const { id } = db.prepare('SELECT id FROM runs WHERE run_uuid = ?').get(runUuid);
      const series = Number(db.prepare('INSERT INTO latest_metrics (run_id, key, value, is_nan, timestamp, step) VALUES (?, ?, ?, 0, ?, ?)').run(id, key, last.value, last.timestamp, last.step).lastInsertRowid);
      if (hasPointCount(db)) db.prepare('UPDATE latest_metrics SET points = ? WHERE id = ?').run(count, series);
      const point = db.prepare('INSERT INTO metrics (series_id, timestamp, step, value, is_nan) VALUES (?, ?, ?, ?, 0)');
      insertPoints(db, count, (p) => point.run(series, p.timestamp, p.step, p.value));
    } else {
      db.prepare('INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)').run(key, last.value, last.timestamp, last.step, runUuid);
      const point = db.prepare('INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)');
      insertPoints(db, count, (p) => point.run(key, p.value, p.timestamp, runUuid, p.step));
    }
  } finally {
    db.close();
  }
}

function insertPoints(db, count, insert) {
  const chunk = db.transaction((from, to) => {
    for (let i = from; i < to; i++) insert(historyPoint(i));
  });
  for (let from = 0; from < count; from += 100_000) chunk(from, Math.min(count, from + 100_000));
}
