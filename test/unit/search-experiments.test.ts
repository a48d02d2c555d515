import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { openSqlite } from '../../src/store/drivers/open';
import type { SqlDriver } from '../../src/store/driver';
import { MlflowError } from '../../src/store/errors';
import { compileExperimentSearch, type ExperimentSearchQuery } from '../../src/store/search/experiments';
import { migrate } from '../../src/store/schema';

class Fixture {
  readonly db: SqlDriver = openSqlite(':memory:');
  private readonly nameById = new Map<number, string>();

  constructor() {
    migrate(this.db);
  }

  add(id: number, name: string, options: { created?: number; updated?: number; deleted?: boolean; tags?: Record<string, string> } = {}): void {
    const created = options.created ?? id * 1000;
    this.db
      .prepare('INSERT INTO experiments VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, name, `/artifacts/${id}`, options.deleted ? 'deleted' : 'active', created, options.updated ?? created);
    for (const [key, value] of Object.entries(options.tags ?? {})) this.db.prepare('INSERT INTO experiment_tags VALUES (?, ?, ?)').run(id, key, value);
    this.nameById.set(id, name);
  }

  search(query: Partial<ExperimentSearchQuery> = {}): string[] {
    const compiled = compileExperimentSearch({ viewType: 'ACTIVE_ONLY', limit: 1000, offset: 0, ...query });
    return this.db
      .prepare<{ experiment_id: number }>(compiled.sql)
      .all(...compiled.params)
      .map(({ experiment_id }) => this.nameById.get(experiment_id)!);
  }
}

function rejects(action: () => unknown, pattern: RegExp): void {
  assert.throws(action, (error: unknown) => error instanceof MlflowError && error.code === 'INVALID_PARAMETER_VALUE' && pattern.test(error.message));
}

describe('compileExperimentSearch: the reference examples (§7.3)', () => {
  let f: Fixture;
  beforeEach(() => {
    f = new Fixture();
    f.add(0, 'Default');
    f.add(1, 'a', { tags: { key: 'value' } });
    f.add(2, 'ab', { tags: { key: 'vaLue' } });
    f.add(3, 'Abc');
  });

  it('filters and orders as MLflow does', () => {
    assert.deepEqual(f.search({ filter: "attribute.name = 'a'" }), ['a']);
    assert.deepEqual(f.search({ filter: "attribute.name != 'a'" }), ['Abc', 'ab', 'Default']);
    assert.deepEqual(f.search({ filter: "name LIKE 'a%'" }), ['ab', 'a']);
    assert.deepEqual(f.search({ filter: "tag.key = 'value'" }), ['a']);
    assert.deepEqual(f.search({ filter: "tag.key != 'value'" }), ['ab'], 'experiments without the tag do not match');
    assert.deepEqual(f.search({ filter: "tag.key ILIKE '%alu%'" }), ['ab', 'a']);
    assert.deepEqual(f.search({ orderBy: ['name DESC'] }), ['ab', 'a', 'Default', 'Abc'], 'byte order');
  });

  it('pages with max_results=2', () => {
    assert.deepEqual(f.search({ limit: 2, offset: 0 }), ['Abc', 'ab']);
    assert.deepEqual(f.search({ limit: 2, offset: 2 }), ['a', 'Default']);
  });
});

describe('compileExperimentSearch', () => {
  let f: Fixture;
  beforeEach(() => {
    f = new Fixture();
    f.add(0, 'Default', { created: 10, updated: 50 });
    f.add(1, 'first', { created: 20, updated: 20, tags: { team: 'vision', 'mlflow.note': 'x' } });
    f.add(2, 'second', { created: 20, updated: 40, tags: { team: 'nlp' } });
    f.add(3, 'old', { created: 5, deleted: true, tags: { team: 'vision' } });
  });

  it('filters on numeric attributes with integer values', () => {
    assert.deepEqual(f.search({ filter: 'creation_time >= 20' }), ['first', 'second']);
    assert.deepEqual(f.search({ filter: 'attributes.last_update_time > 30' }), ['second', 'Default']);
    rejects(() => f.search({ filter: 'creation_time > 1.5' }), /Expected an integer value/);
  });

  it('filters on experiment_id with quoted ids', () => {
    assert.deepEqual(f.search({ filter: "experiment_id = '1'" }), ['first']);
    assert.deepEqual(f.search({ filter: "experiment_id != '1'" }), ['second', 'Default']);
    assert.deepEqual(f.search({ filter: "experiment_id IN ('0', '2', '99')" }), ['second', 'Default']);
    assert.deepEqual(f.search({ filter: "experiment_id NOT IN ('0')" }), ['first', 'second']);
    rejects(() => f.search({ filter: "experiment_id = 'abc'" }), /Invalid experiment ID 'abc'/);
  });

  it('filters on tags, including IS NULL and LIKE case sensitivity', () => {
    assert.deepEqual(f.search({ filter: 'tags.team IS NOT NULL' }), ['first', 'second']);
    assert.deepEqual(f.search({ filter: 'tag.team IS NULL' }), ['Default']);
    assert.deepEqual(f.search({ filter: "tags.team LIKE 'V%'" }), []);
    assert.deepEqual(f.search({ filter: "tags.team ILIKE 'V%'" }), ['first']);
    assert.deepEqual(f.search({ filter: "tags.`mlflow.note` = 'x'" }), ['first']);
    assert.deepEqual(f.search({ filter: "tags.mlflow.note = 'x' AND name = 'first'" }), ['first']);
  });

  it('maps the view type to the lifecycle stage', () => {
    assert.deepEqual(f.search({ viewType: 'DELETED_ONLY' }), ['old']);
    assert.deepEqual(f.search({ viewType: 'ALL', filter: "tags.team = 'vision'" }), ['first', 'old']);
  });

  it('defaults to creation_time DESC, experiment_id ASC', () => {
    assert.deepEqual(f.search(), ['first', 'second', 'Default']);
  });

  it('breaks ties by experiment_id DESC when order_by does not name it', () => {
    assert.deepEqual(f.search({ orderBy: ['creation_time'] }), ['Default', 'second', 'first']);
    assert.deepEqual(f.search({ orderBy: ['creation_time DESC', 'experiment_id'] }), ['first', 'second', 'Default']);
    assert.deepEqual(f.search({ orderBy: ['attribute.experiment_id DESC'] }), ['second', 'first', 'Default']);
    assert.deepEqual(f.search({ orderBy: ['last_update_time DESC'] }), ['Default', 'second', 'first']);
  });

  it('rejects invalid order_by entries', () => {
    rejects(() => f.search({ orderBy: ['tags.team'] }), /cannot order by tag 'team'/);
    rejects(() => f.search({ orderBy: ['name', 'attributes.name DESC'] }), /duplicate fields/);
    rejects(() => f.search({ orderBy: ['name sideways'] }), /Invalid ordering key/);
  });

  it('binds values and keys as parameters', () => {
    const compiled = compileExperimentSearch({
      viewType: 'ALL',
      filter: `name = "x' OR '1'='1" AND tags.\`k'; DROP TABLE experiments; --\` = 'v'`,
      limit: 5,
      offset: 0,
    });
    assert.ok(!compiled.sql.includes('DROP') && !compiled.sql.includes("'1'"), compiled.sql);
    assert.equal(compiled.params.length, (compiled.sql.match(/\?/g) ?? []).length);
    assert.deepEqual(f.db.prepare(compiled.sql).all(...compiled.params), []);
  });
});
