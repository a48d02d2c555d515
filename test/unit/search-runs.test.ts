import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { openSqlite } from '../../src/store/drivers/open';
import type { SqlDriver, SqlValue } from '../../src/store/driver';
import { MlflowError } from '../../src/store/errors';
import { compileRunSearch, type RunSearchQuery } from '../../src/store/search/runs';
import { migrate } from '../../src/store/schema';

interface RunSpec {
  uuid: string;
  experimentId?: number;
  name?: string;
  user?: string;
  status?: string;
  start?: number;
  end?: number | null;
  lifecycle?: 'active' | 'deleted';
  artifactUri?: string;
  metrics?: Record<string, number>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  datasets?: { name: string; digest: string; context?: string }[];
}

/** An in-memory store filled through plain SQL, so these tests depend only on the schema. */
class Fixture {
  readonly db: SqlDriver = openSqlite(':memory:');
  private readonly uuidById = new Map<number, string>();

  constructor() {
    migrate(this.db);
    for (const id of [1, 2]) {
      this.db.prepare('INSERT INTO experiments VALUES (?, ?, ?, ?, 0, 0)').run(id, `exp${id}`, `/a/${id}`, 'active');
    }
  }

  add(spec: RunSpec): void {
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        spec.uuid,
        spec.experimentId ?? 1,
        spec.name ?? spec.uuid,
        spec.user ?? 'alice',
        spec.status ?? 'FINISHED',
        spec.start ?? 1000,
        spec.end ?? null,
        spec.lifecycle ?? 'active',
        spec.artifactUri ?? `file:///store/${spec.uuid}`,
      );
    const runId = Number(lastInsertRowid);
    this.uuidById.set(runId, spec.uuid);
    for (const [key, value] of Object.entries(spec.metrics ?? {})) {
      const nan = Number.isNaN(value);
      this.db.prepare('INSERT INTO latest_metrics (run_id, key, value, is_nan, timestamp, step) VALUES (?, ?, ?, ?, 0, 0)').run(runId, key, nan ? 0 : value, nan ? 1 : 0);
    }
    for (const [key, value] of Object.entries(spec.params ?? {})) this.db.prepare('INSERT INTO params VALUES (?, ?, ?)').run(runId, key, value);
    for (const [key, value] of Object.entries(spec.tags ?? {})) this.db.prepare('INSERT INTO tags VALUES (?, ?, ?)').run(runId, key, value);
    for (const dataset of spec.datasets ?? []) {
      const experimentId = spec.experimentId ?? 1;
      this.db
        .prepare("INSERT OR IGNORE INTO datasets (experiment_id, name, digest, source_type, source) VALUES (?, ?, ?, 'local', 's')")
        .run(experimentId, dataset.name, dataset.digest);
      const datasetRow = this.db
        .prepare<{ id: number }>('SELECT id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?')
        .get(experimentId, dataset.name, dataset.digest);
      const input = this.db.prepare('INSERT INTO inputs (dataset_id, run_id) VALUES (?, ?)').run(datasetRow!.id, runId);
      if (dataset.context !== undefined) {
        this.db.prepare("INSERT INTO input_tags VALUES (?, 0, 'mlflow.data.context', ?)").run(Number(input.lastInsertRowid), dataset.context);
      }
    }
  }

  /**
   * Run uuids in result order. Every search also runs with its join order fixed by row counts (what the
   * store does) and by reversed counts (the worst order), which must not change the result.
   */
  search(query: Partial<RunSearchQuery> = {}): string[] {
    const full: RunSearchQuery = { experimentIds: [1], viewType: 'ACTIVE_ONLY', limit: 1000, offset: 0, ...query };
    const run = (compiled: { sql: string; params: SqlValue[] }) =>
      this.db
        .prepare<{ id: number }>(compiled.sql)
        .all(...compiled.params)
        .map(({ id }) => this.uuidById.get(id)!);
    const result = run(compileRunSearch(full));
    const count = (sql: string, params: SqlValue[]) => this.db.prepare<{ n: number }>(sql).get(...params)!.n;
    for (const countRows of [count, (sql: string, params: SqlValue[]) => -count(sql, params)]) {
      const ordered = compileRunSearch({ ...full, countRows });
      assert.equal(ordered.params.length, (ordered.sql.match(/\?/g) ?? []).length);
      assert.deepEqual(run(ordered), result, `join order changed the result of ${ordered.sql}`);
    }
    return result;
  }

  /** Result as a set, for filters whose order is not under test. */
  matching(filter: string): Set<string> {
    return new Set(this.search({ filter }));
  }
}

function rejects(action: () => unknown, pattern: RegExp): void {
  assert.throws(action, (error: unknown) => error instanceof MlflowError && error.code === 'INVALID_PARAMETER_VALUE' && pattern.test(error.message));
}

describe('compileRunSearch: filters', () => {
  let f: Fixture;
  beforeEach(() => {
    f = new Fixture();
    f.add({ uuid: 'a1', metrics: { acc: 0.9, loss: 0.1 }, params: { lr: '0.01', model: 'CNN' }, tags: { team: 'vision', 'mlflow.source.type': 'LOCAL' } });
    f.add({ uuid: 'b2', metrics: { acc: 0.5, loss: Number.NaN }, params: { lr: '0.1', model: 'cnn' }, tags: { team: 'Vision' } });
    f.add({ uuid: 'c3', metrics: { acc: 0.7 }, params: { lr: '1', model: 'c_n%n' }, tags: {} });
    f.add({ uuid: 'd4', metrics: { loss: Number.POSITIVE_INFINITY }, params: {}, tags: { team: 'vision*[?]' } });
  });

  it('compares the latest metric value', () => {
    assert.deepEqual(f.matching('metrics.acc > 0.6'), new Set(['a1', 'c3']));
    assert.deepEqual(f.matching('metrics.acc >= 0.7 AND metrics.acc < 0.9'), new Set(['c3']));
    assert.deepEqual(f.matching('metrics.acc = 0.5'), new Set(['b2']));
    assert.deepEqual(f.matching('metrics.acc <= -1'), new Set());
    assert.deepEqual(f.matching('metrics.loss > 1e308'), new Set(['d4']), 'infinity compares as a number');
  });

  it('never lets NaN (stored as 0) satisfy a numeric comparison except != (IEEE, as MLflow)', () => {
    assert.deepEqual(f.matching('metrics.loss = 0'), new Set());
    assert.deepEqual(f.matching('metrics.loss < 1'), new Set(['a1']));
    assert.deepEqual(f.matching('metrics.loss >= 0'), new Set(['a1', 'd4']));
    assert.deepEqual(f.matching('metrics.loss != 0.1'), new Set(['b2', 'd4']));
  });

  it('treats a missing metric, param or tag as false, also for !=', () => {
    assert.deepEqual(f.matching('metrics.acc != 0.9'), new Set(['b2', 'c3']), 'd4 has no acc');
    assert.deepEqual(f.matching("params.lr != '1'"), new Set(['a1', 'b2']), 'd4 has no lr');
    assert.deepEqual(f.matching("tags.team != 'vision'"), new Set(['b2', 'd4']), 'c3 has no team tag');
  });

  it('supports IS NULL and IS NOT NULL for params and tags', () => {
    assert.deepEqual(f.matching('params.lr IS NULL'), new Set(['d4']));
    assert.deepEqual(f.matching('params.lr IS NOT NULL'), new Set(['a1', 'b2', 'c3']));
    assert.deepEqual(f.matching('tags.team IS NULL'), new Set(['c3']));
    assert.deepEqual(f.matching('tags.team IS NOT NULL AND params.model IS NOT NULL'), new Set(['a1', 'b2']));
  });

  it('compares strings byte-wise with = and !=', () => {
    assert.deepEqual(f.matching("params.model = 'cnn'"), new Set(['b2']));
    assert.deepEqual(f.matching("params.model = 'CNN'"), new Set(['a1']));
    assert.deepEqual(f.matching("params.lr = '0.01'"), new Set(['a1']), 'param values are text, not numbers');
    assert.deepEqual(f.matching("params.lr = '1.0'"), new Set());
  });

  it('makes LIKE case-sensitive and ILIKE case-insensitive', () => {
    assert.deepEqual(f.matching("params.model LIKE 'c%'"), new Set(['b2', 'c3']));
    assert.deepEqual(f.matching("params.model ILIKE 'c%'"), new Set(['a1', 'b2', 'c3']));
    assert.deepEqual(f.matching("tags.team LIKE 'V%'"), new Set(['b2']));
    assert.deepEqual(f.matching("tags.team ILIKE 'V%'"), new Set(['a1', 'b2', 'd4']));
    assert.deepEqual(f.matching("tags.team LIKE 'vision'"), new Set(['a1']), 'LIKE matches the whole value');
  });

  it('gives _ and % their LIKE meaning and nothing else a special meaning', () => {
    assert.deepEqual(f.matching("params.model LIKE 'c_n'"), new Set(['b2']));
    assert.deepEqual(f.matching("params.model ILIKE 'c_n'"), new Set(['a1', 'b2']));
    assert.deepEqual(f.matching("params.model LIKE 'c\\_n%n'"), new Set(), 'backslash is not an escape character');
    assert.deepEqual(f.matching("params.model ILIKE '%\\%%'"), new Set());
    assert.deepEqual(f.matching("params.model LIKE '%[%]%'"), new Set(), "'[' is literal in LIKE, not a GLOB class");
    assert.deepEqual(f.matching("tags.team LIKE 'vision*[?]'"), new Set(['d4']), 'GLOB metacharacters are literal');
    assert.deepEqual(f.matching("tags.team LIKE 'vision*'"), new Set());
    assert.deepEqual(f.matching("tags.team ILIKE 'VISION*[?]'"), new Set(['d4']));
    assert.deepEqual(f.matching("params.model LIKE '%\\%%'"), new Set());
  });

  it('matches keys with dots and quoted keys', () => {
    assert.deepEqual(f.matching("tags.mlflow.source.type = 'LOCAL'"), new Set(['a1']));
    assert.deepEqual(f.matching("tags.`mlflow.source.type` = 'LOCAL'"), new Set(['a1']));
  });

  it('combines clauses on the same key and across entities', () => {
    assert.deepEqual(f.matching("metrics.acc > 0.4 AND metrics.acc < 0.8 AND params.lr != '1' AND tags.team ILIKE 'vision'"), new Set(['b2']));
  });
});

describe('compileRunSearch: attributes and datasets', () => {
  let f: Fixture;
  const uuid = (n: number): string => `${n}`.padStart(32, '0');
  beforeEach(() => {
    f = new Fixture();
    f.add({ uuid: uuid(1), name: 'Alpha run', user: 'alice', status: 'FINISHED', start: 100, end: 200, artifactUri: 's3://bucket/1' });
    f.add({ uuid: uuid(2), name: 'beta', user: 'bob', status: 'RUNNING', start: 300, end: null });
    f.add({
      uuid: uuid(3),
      name: 'gamma',
      user: 'alice',
      status: 'FAILED',
      start: 500,
      end: 600,
      datasets: [
        { name: 'train-set', digest: 'd1', context: 'training' },
        { name: 'eval-set', digest: 'd2', context: 'eval' },
      ],
    });
    f.add({ uuid: uuid(4), name: 'delta', user: 'carol', start: 700, datasets: [{ name: 'train-set', digest: 'd1' }] });
  });

  it('filters on string attributes', () => {
    assert.deepEqual(f.matching("status = 'RUNNING'"), new Set([uuid(2)]));
    assert.deepEqual(f.matching("attributes.user_id = 'alice'"), new Set([uuid(1), uuid(3)]));
    assert.deepEqual(f.matching("run_name = 'beta'"), new Set([uuid(2)]));
    assert.deepEqual(f.matching("`Run name` LIKE 'Alpha%'"), new Set([uuid(1)]));
    assert.deepEqual(f.matching("`run name` ILIKE 'alpha%'"), new Set([uuid(1)]));
    assert.deepEqual(f.matching("artifact_uri LIKE 's3://%'"), new Set([uuid(1)]));
    assert.deepEqual(f.matching("run.status != 'FINISHED'"), new Set([uuid(2), uuid(3)]));
  });

  it('filters on run_id with =, IN and NOT IN', () => {
    assert.deepEqual(f.matching(`run_id = '${uuid(2)}'`), new Set([uuid(2)]));
    assert.deepEqual(f.matching(`attributes.run_id IN ('${uuid(1)}', '${uuid(3)}', 'nope')`), new Set([uuid(1), uuid(3)]));
    assert.deepEqual(f.matching(`run_id NOT IN ('${uuid(1)}', '${uuid(3)}')`), new Set([uuid(2), uuid(4)]));
    assert.deepEqual(f.matching(`run_id IN ('${uuid(1).toUpperCase()}A')`), new Set(), 'ids compare case-sensitively');
  });

  it('filters on numeric attributes; a missing end_time matches nothing', () => {
    assert.deepEqual(f.matching('start_time >= 300 AND start_time < 700'), new Set([uuid(2), uuid(3)]));
    assert.deepEqual(f.matching('created = 100'), new Set([uuid(1)]));
    assert.deepEqual(f.matching('end_time > 0'), new Set([uuid(1), uuid(3)]));
    assert.deepEqual(f.matching('end_time != 200'), new Set([uuid(3)]));
  });

  it('matches a dataset clause when any dataset input of the run matches', () => {
    assert.deepEqual(f.matching("datasets.name = 'train-set'"), new Set([uuid(3), uuid(4)]));
    assert.deepEqual(f.matching("dataset.digest = 'd2'"), new Set([uuid(3)]));
    assert.deepEqual(f.matching("datasets.context = 'training'"), new Set([uuid(3)]));
    assert.deepEqual(f.matching("datasets.context IN ('eval', 'x')"), new Set([uuid(3)]));
    assert.deepEqual(f.matching("datasets.name != 'train-set'"), new Set([uuid(3)]), 'run 3 also has eval-set; runs without datasets never match');
    assert.deepEqual(f.matching("datasets.name NOT IN ('train-set')"), new Set([uuid(3)]));
    assert.deepEqual(f.matching("datasets.name LIKE 'TRAIN%'"), new Set());
    assert.deepEqual(f.matching("datasets.name ILIKE 'TRAIN%'"), new Set([uuid(3), uuid(4)]));
    assert.deepEqual(f.matching("datasets.context != 'training'"), new Set([uuid(3)]), 'a dataset input without context never matches');
  });
});

describe('compileRunSearch: ordering', () => {
  let f: Fixture;
  beforeEach(() => {
    f = new Fixture();
    f.add({ uuid: 'r1', start: 10, end: 50, metrics: { m: 2 }, params: { p: 'b' }, tags: { t: 'x' } });
    f.add({ uuid: 'r2', start: 30, metrics: { m: Number.NaN }, params: { p: 'a' } });
    f.add({ uuid: 'r3', start: 20, end: 40, metrics: { m: -1 }, params: { p: 'B' }, tags: { t: 'y' } });
    f.add({ uuid: 'r4', start: 30, params: {} });
    f.add({ uuid: 'r5', start: 5, end: 60, metrics: { m: 7 }, params: { p: 'c' } });
  });

  it('defaults to start_time DESC, then run_id ASC', () => {
    assert.deepEqual(f.search(), ['r2', 'r4', 'r3', 'r1', 'r5']);
  });

  it('orders metrics: values in the requested direction, then NaN, then missing', () => {
    assert.deepEqual(f.search({ orderBy: ['metrics.m'] }), ['r3', 'r1', 'r5', 'r2', 'r4']);
    assert.deepEqual(f.search({ orderBy: ['metrics.m DESC'] }), ['r5', 'r1', 'r3', 'r2', 'r4']);
  });

  it('orders params and tags byte-wise with missing values last', () => {
    assert.deepEqual(f.search({ orderBy: ['params.p'] }), ['r3', 'r2', 'r1', 'r5', 'r4'], "'B' < 'a' < 'b' < 'c'");
    assert.deepEqual(f.search({ orderBy: ['params.p DESC'] }), ['r5', 'r1', 'r2', 'r3', 'r4']);
    assert.deepEqual(f.search({ orderBy: ['tags.t DESC'] }), ['r3', 'r1', 'r2', 'r4', 'r5'], 'missing: start_time DESC, run_id');
  });

  it('orders attributes, with a missing end_time last in both directions', () => {
    assert.deepEqual(f.search({ orderBy: ['end_time'] }), ['r3', 'r1', 'r5', 'r2', 'r4']);
    assert.deepEqual(f.search({ orderBy: ['end_time DESC'] }), ['r5', 'r1', 'r3', 'r2', 'r4']);
    assert.deepEqual(f.search({ orderBy: ['attributes.run_id DESC'] }), ['r5', 'r4', 'r3', 'r2', 'r1']);
    assert.deepEqual(f.search({ orderBy: ['run_name'] }), ['r1', 'r2', 'r3', 'r4', 'r5']);
  });

  it('uses start_time DESC as tie-breaker unless start_time is ordered, and run_id ASC last', () => {
    assert.deepEqual(f.search({ orderBy: ['start_time'] }), ['r5', 'r1', 'r3', 'r2', 'r4']);
    assert.deepEqual(f.search({ orderBy: ['created DESC'] }), ['r2', 'r4', 'r3', 'r1', 'r5']);
    assert.deepEqual(f.search({ orderBy: ['status'] }), ['r2', 'r4', 'r3', 'r1', 'r5']);
  });

  it('applies several order terms left to right', () => {
    f.add({ uuid: 'r6', start: 1, metrics: { m: 2 }, params: { p: 'a' } });
    assert.deepEqual(f.search({ orderBy: ['metrics.m DESC', 'params.p'] }), ['r5', 'r6', 'r1', 'r3', 'r2', 'r4']);
  });

  it('rejects duplicate order_by fields', () => {
    rejects(() => f.search({ orderBy: ['metrics.m', 'metrics.m DESC'] }), /duplicate fields/);
  });

  it('pages with limit and offset', () => {
    const all = f.search({ orderBy: ['metrics.m'] });
    const pages = [0, 2, 4].flatMap((offset) => f.search({ orderBy: ['metrics.m'], limit: 2, offset }));
    assert.deepEqual(pages, all);
    assert.deepEqual(f.search({ limit: 2, offset: 4 }), ['r5']);
    assert.deepEqual(f.search({ limit: 2, offset: 10 }), []);
  });
});

describe('compileRunSearch: scope and safety', () => {
  let f: Fixture;
  beforeEach(() => {
    f = new Fixture();
    f.add({ uuid: 'live', start: 3 });
    f.add({ uuid: 'gone', start: 2, lifecycle: 'deleted' });
    f.add({ uuid: 'other', start: 1, experimentId: 2, params: { a: "x'' OR 1=1 --" } });
  });

  it('maps the view type to the lifecycle stage', () => {
    assert.deepEqual(f.search({ viewType: 'ACTIVE_ONLY' }), ['live']);
    assert.deepEqual(f.search({ viewType: 'DELETED_ONLY' }), ['gone']);
    assert.deepEqual(f.search({ viewType: 'ALL' }), ['live', 'gone']);
  });

  it('searches the given experiments only; none means no runs (but still validates)', () => {
    assert.deepEqual(f.search({ experimentIds: [2] }), ['other']);
    assert.deepEqual(f.search({ experimentIds: [1, 2] }), ['live', 'other']);
    assert.deepEqual(f.search({ experimentIds: [] }), []);
    rejects(() => f.search({ experimentIds: [], filter: 'metrics.x LIKE 1' }), /Invalid comparator/);
  });

  it('binds every value and key as a parameter', () => {
    const hostile = ["x'' OR 1=1 --", "'; DROP TABLE runs; --", 'a``b'];
    const compiled = compileRunSearch({
      experimentIds: [1, 2],
      viewType: 'ALL',
      filter: `params.\`${hostile[2]}\` = '${hostile[0]}' AND tags."${hostile[1]}" != 'v' AND run_id IN ("${hostile[1]}")`,
      orderBy: [`metrics.\`${hostile[1]}\` DESC`],
      limit: 10,
      offset: 0,
    });
    for (const text of [...hostile, 'DROP', "'v'"]) assert.ok(!compiled.sql.includes(text), `${text} leaked into ${compiled.sql}`);
    assert.equal(compiled.params.length, (compiled.sql.match(/\?/g) ?? []).length);
    assert.ok(compiled.sql.startsWith('SELECT r.id FROM runs r '));
    assert.ok(compiled.sql.endsWith('LIMIT ? OFFSET ?'));
  });

  it('matches an injection attempt literally and leaves the database intact', () => {
    assert.deepEqual(f.search({ experimentIds: [2], filter: "params.a = 'x'' OR 1=1 --'" }), ['other']);
    rejects(() => f.search({ experimentIds: [1, 2], filter: "params.a = 'x' OR 1=1 --'" }), /OR is not supported/);
    assert.deepEqual(f.search({ experimentIds: [1, 2], viewType: 'ALL' }), ['live', 'gone', 'other']);
  });

  it('compiles the largest allowed filter and order_by to a query SQLite accepts', () => {
    const filter = Array.from({ length: 200 }, (_, i) => (i % 2 ? `metrics.m${i} > 0` : `params.p${i} IS NOT NULL`)).join(' AND ');
    const orderBy = Array.from({ length: 32 }, (_, i) => `metrics.o${i}`);
    assert.deepEqual(f.search({ filter, orderBy }), []);
    assert.deepEqual(f.search({ orderBy }), ['live']);
  });
});
