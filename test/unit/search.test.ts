import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlflowError } from '../../src/store/errors';
import { EXPERIMENT_SEARCH_VOCABULARY } from '../../src/store/search/experiments';
import { MAX_FILTER_CLAUSES, parseFilter, parseOrderBy, parseOrderByList, type Clause } from '../../src/store/search/filter';
import { RUN_SEARCH_VOCABULARY } from '../../src/store/search/runs';
import { likeToGlob } from '../../src/store/search/sql';
import { keyTable, STRING_COMPARATORS, type SearchVocabulary } from '../../src/store/search/vocabulary';

const runs = (filter: string): Clause[] => parseFilter(filter, RUN_SEARCH_VOCABULARY);
const one = (filter: string): Clause => {
  const clauses = runs(filter);
  assert.equal(clauses.length, 1, `expected one clause from ${filter}`);
  return clauses[0]!;
};

/** Asserts an INVALID_PARAMETER_VALUE whose message matches every pattern. */
function rejects(action: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof MlflowError, `expected MlflowError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_PARAMETER_VALUE');
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}
const rejectsFilter = (filter: string, ...patterns: RegExp[]): void => rejects(() => runs(filter), ...patterns);

describe('filter parser: accepted syntax', () => {
  it('treats an absent, empty or blank filter as "match all"', () => {
    assert.deepEqual(parseFilter(undefined, RUN_SEARCH_VOCABULARY), []);
    assert.deepEqual(runs(''), []);
    assert.deepEqual(runs(' \t\n '), []);
  });

  it('parses clauses joined by AND in any case', () => {
    assert.deepEqual(runs("metrics.rmse < 1 AND params.model = 'cnn' and tags.team = \"ml\" And status = 'FINISHED'"), [
      { entity: 'metric', key: 'rmse', comparator: '<', value: 1 },
      { entity: 'param', key: 'model', comparator: '=', value: 'cnn' },
      { entity: 'tag', key: 'team', comparator: '=', value: 'ml' },
      { entity: 'attribute', key: 'status', comparator: '=', value: 'FINISHED' },
    ]);
  });

  it('needs no whitespace around operators', () => {
    assert.deepEqual(runs("metrics.x>=-1 AND params.a!='b'"), [
      { entity: 'metric', key: 'x', comparator: '>=', value: -1 },
      { entity: 'param', key: 'a', comparator: '!=', value: 'b' },
    ]);
  });

  it('accepts every entity alias', () => {
    const entities = (prefixes: string[], rest: string): string[] => prefixes.map((p) => one(`${p}.${rest}`).entity);
    assert.deepEqual(new Set(entities(['metric', 'metrics'], 'x > 0')), new Set(['metric']));
    assert.deepEqual(new Set(entities(['param', 'params', 'parameter', 'parameters'], "x = 'a'")), new Set(['param']));
    assert.deepEqual(new Set(entities(['tag', 'tags'], "x = 'a'")), new Set(['tag']));
    assert.deepEqual(new Set(entities(['attribute', 'attributes', 'attr', 'run'], "status = 'a'")), new Set(['attribute']));
    assert.deepEqual(new Set(entities(['dataset', 'datasets'], "name = 'a'")), new Set(['dataset']));
    assert.equal(one("`params`.a = 'x'").entity, 'param', 'backticks around the entity are stripped');
  });

  it('maps attribute aliases to canonical keys', () => {
    for (const alias of ['`run name`', '`Run name`', '`Run Name`', 'run_name', 'attributes.`Run name`']) {
      assert.equal(one(`${alias} = 'x'`).key, 'run_name', alias);
    }
    assert.equal(one('created > 5').key, 'start_time');
    assert.equal(one('Created > 5').key, 'start_time');
    assert.equal(one('run.run_id = "x"').key, 'run_id');
  });

  it('splits identifiers on the first dot only and unquotes keys', () => {
    assert.equal(one("tags.mlflow.source.type = 'LOCAL'").key, 'mlflow.source.type');
    assert.equal(one('metrics."my metric" > 0').key, 'my metric');
    assert.equal(one('metrics.`my metric` > 0').key, 'my metric');
    assert.equal(one("tags.'a b' = 'x'").key, 'a b');
    assert.equal(one("tags.`mlflow.prompt.is_prompt` != 'true'").key, 'mlflow.prompt.is_prompt');
    assert.equal(one('metrics.`train/loss-1` <= 0.5').key, 'train/loss-1');
    assert.equal(one('metrics.1st > 0').key, '1st');
  });

  it('accepts Unicode in keys and values', () => {
    assert.deepEqual(one("params.αβ = 'ünïcødé ✓'"), { entity: 'param', key: 'αβ', comparator: '=', value: 'ünïcødé ✓' });
    assert.equal(one("tags.`🚀 launch` = 'x'").key, '🚀 launch');
    assert.equal(one("params.a = '\u200b'").value, '\u200b', 'zero-width space survives');
  });

  it('reads numbers: integers, decimals, negatives, exponents', () => {
    const value = (literal: string): unknown => one(`metrics.x = ${literal}`).value;
    assert.equal(value('3'), 3);
    assert.equal(value('-3'), -3);
    assert.equal(value('0.25'), 0.25);
    assert.equal(value('.5'), 0.5);
    assert.equal(value('-.5'), -0.5);
    assert.equal(value('1.'), 1);
    assert.equal(value('1e-3'), 0.001);
    assert.equal(value('2E+2'), 200);
    assert.equal(value('-1.5e3'), -1500);
  });

  it('keeps quoted text raw: no escape processing, as MLflow', () => {
    assert.equal(one("params.a = 'it''s'").value, "it''s");
    assert.equal(one('params.a = "say ""hi"""').value, 'say ""hi""');
    assert.equal(one('params.a = "it\'s"').value, "it's");
    assert.equal(one("params.a = 'back\\slash'").value, 'back\\slash');
    assert.equal(one("params.a = ''").value, '');
  });

  it('parses every comparator case-insensitively', () => {
    const comparator = (filter: string): string => one(filter).comparator;
    assert.equal(comparator("params.a like 'x%'"), 'LIKE');
    assert.equal(comparator("params.a ILike 'x%'"), 'ILIKE');
    assert.equal(comparator('params.a is null'), 'IS NULL');
    assert.equal(comparator('tags.a Is Not Null'), 'IS NOT NULL');
    assert.equal(comparator("run_id in ('a')"), 'IN');
    assert.equal(comparator("run_id not in ('a')"), 'NOT IN');
    for (const op of ['=', '!=', '>', '>=', '<', '<=']) assert.equal(comparator(`metrics.x ${op} 1`), op);
  });

  it('parses IN lists, with or without a trailing comma', () => {
    assert.deepEqual(one("run_id IN ('a', \"b\",'c')").value, ['a', 'b', 'c']);
    assert.deepEqual(one("attributes.run_id NOT IN ('a',)").value, ['a']);
    assert.deepEqual(one("datasets.context IN ('train', 'eval')").value, ['train', 'eval']);
    assert.equal(one('params.a IS NULL').value, null);
  });
});

describe('filter parser: rejected input', () => {
  it('rejects OR, NOT and parenthesised groups', () => {
    rejectsFilter("metrics.x > 1 OR params.a = 'b'", /Invalid clause\(s\) in filter string/, /'OR' at position 15/, /only AND/);
    rejectsFilter("NOT params.a = 'b'", /'NOT' at position 1/);
    rejectsFilter("metrics.x > 0 AND NOT params.a = 'b'", /'NOT' at position 19/);
    rejectsFilter('(metrics.x > 1)', /'\(' at position 1/, /parentheses/);
    rejectsFilter("metrics.x > 1 AND (params.a = 'b' OR params.a = 'c')", /'\(' at position 19/);
    rejectsFilter('((((((((((metrics.x > 1))))))))))', /parentheses/);
  });

  it('rejects several statements, comments and stray characters', () => {
    rejectsFilter('metrics.x > 1; DROP TABLE runs', /';' at position 14/, /not several statements/);
    rejectsFilter("params.a = 'x' -- comment", /comments are not supported/);
    rejectsFilter("params.a = 'x' /* c */", /unexpected character '\/' at position 16/);
    rejectsFilter('metrics.x > +1', /unexpected character '\+'/);
    rejectsFilter("params.learning-rate = 'x'", /unexpected character '-' at position 16/);
  });

  it('rejects trailing garbage and missing or doubled ANDs', () => {
    rejectsFilter('metrics.x > 1 metrics.y > 2', /expected AND or the end of the filter, found 'metrics.y' at position 15/);
    rejectsFilter("params.a = 'x' extra", /found 'extra' at position 16/);
    rejectsFilter('metrics.x > 1 AND', /ends with AND/);
    rejectsFilter('AND metrics.x > 1', /expected an identifier/, /'AND' at position 1/);
    rejectsFilter("metrics.x > 1 AND AND params.a = 'b'", /'AND' at position 19/);
    rejectsFilter('metrics.x>1AND metrics.y>2', /invalid number '1AND'/);
  });

  it('rejects unterminated quotes and incomplete clauses', () => {
    rejectsFilter("params.a = 'unterminated", /unterminated quoted text starting at position 12/);
    rejectsFilter('params.a = "mixed\'', /unterminated/);
    rejectsFilter("tags.`open = 'x'", /unterminated/);
    rejectsFilter('metrics.x', /expected a comparator/, /end of the input/);
    rejectsFilter('metrics.x >', /Expected a numeric value for metric 'x'/, /ends after '>'/);
    rejectsFilter('= 1', /expected an identifier/);
    rejectsFilter("params. a = 'x'", /expected a key after 'params\.'/);
    rejectsFilter("params.IS IS 'x'", /expected NULL or NOT NULL after IS/);
  });

  it('rejects unknown entities and keys', () => {
    rejectsFilter('foo.x > 1', /Invalid entity type 'foo'/, /position 1/, /'metrics'/);
    rejectsFilter('Metrics.x > 1', /Invalid entity type 'Metrics'/);
    rejectsFilter("foo = 'x'", /Invalid attribute key 'foo' specified/, /'run_id'/);
    rejectsFilter("datasets.foo = 'x'", /Invalid dataset key 'foo'/, /'name', 'digest', 'context'/);
    rejectsFilter("params.`` = 'x'", /Empty parameter key/);
  });

  it('rejects comparators an entity does not support', () => {
    rejectsFilter("metrics.x LIKE '1'", /Invalid comparator 'LIKE' for metric 'x' at position 11/);
    rejectsFilter('metrics.x IS NULL', /Invalid comparator 'IS NULL' for metric 'x'/);
    rejectsFilter("params.a > 'b'", /Invalid comparator '>' for parameter 'a'/);
    rejectsFilter("params.a IN ('b')", /Invalid comparator 'IN' for parameter 'a'/);
    rejectsFilter("status IN ('FINISHED')", /Invalid comparator 'IN' for attribute 'status'/);
    rejectsFilter('start_time IS NULL', /Invalid comparator 'IS NULL' for attribute 'start_time'/);
    rejectsFilter("params.a == 'b'", /Invalid comparator '=='/);
    rejectsFilter("params.a <> 'b'", /Invalid comparator '<>'/);
    rejectsFilter("params.a NOT LIKE 'b'", /Invalid comparator 'NOT LIKE'/);
    rejectsFilter("params.a RLIKE 'b'", /expected a comparator/, /'RLIKE'/);
  });

  it('rejects values of the wrong type', () => {
    rejectsFilter('params.a = 1', /Expected a quoted string value for parameter 'a' at position 12/, /Got value 1/);
    rejectsFilter('params.a = abc', /Expected a quoted string value for parameter 'a'/, /Got value abc/);
    rejectsFilter('params.a = NULL', /use IS NULL/);
    rejectsFilter("metrics.x = 'a'", /Expected a numeric value for metric 'x'/, /Got value 'a'/);
    rejectsFilter('metrics.x = NaN', /Expected a numeric value for metric 'x'/);
    rejectsFilter("start_time > '5'", /Expected a numeric value for attribute 'start_time'/);
    rejectsFilter("run_id = ('a')", /only allowed with IN and NOT IN/);
    rejectsFilter("datasets.name = 5", /Expected a quoted string value for dataset 'name'/);
  });

  it('rejects malformed IN lists', () => {
    rejectsFilter('run_id IN ()', /non-empty list/);
    rejectsFilter("run_id IN ('a', 1)", /expected a quoted string value, found '1' at position 17/);
    rejectsFilter("run_id IN 'a'", /IN expects a parenthesised list/);
    rejectsFilter("run_id IN (('a'))", /expected a quoted string value, found '\('/);
    rejectsFilter("run_id IN ('a' 'b')", /expected ',' or '\)'/);
    rejectsFilter("run_id IN ('a'", /expected ',' or '\)', found the end of the input/);
  });
});

describe('filter parser: hostile input', () => {
  it('keeps an injection attempt inside a string literal', () => {
    assert.deepEqual(one("params.a = 'x'' OR 1=1 --'"), { entity: 'param', key: 'a', comparator: '=', value: "x'' OR 1=1 --" });
    assert.deepEqual(one("tags.`a``b` = 'x'"), { entity: 'tag', key: 'a``b', comparator: '=', value: 'x' });
    assert.equal(one('params."a; DROP TABLE runs" = \'x\'').key, 'a; DROP TABLE runs');
    rejectsFilter("params.a = 'x'; DROP TABLE runs; --", /';' at position 15/);
    rejectsFilter("params.a = 'x' OR '1'='1'", /OR is not supported/);
  });

  it('handles huge input quickly and quotes only an excerpt of it in messages', () => {
    const big = 'a'.repeat(1_000_000);
    const started = Date.now();
    assert.equal((one(`params.x = '${big}'`).value as string).length, 1_000_000);
    rejects(() => runs(`params.x = '${big}`), /unterminated/);
    rejects(() => runs(`${big} = 'x'`), /Invalid attribute key 'a{60}…'/);
    rejects(() => runs(`params.a = ${big}`), /Got value a{40}…\.$/);
    assert.ok(Date.now() - started < 2000, 'parsing 1 MB stays fast');
  });

  it('caps the number of clauses before lexing the rest', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => `metrics.m${i} > 0`).join(' AND ');
    rejectsFilter(many, new RegExp(`at most ${MAX_FILTER_CLAUSES}`));
    assert.equal(runs(Array.from({ length: MAX_FILTER_CLAUSES }, () => 'metrics.m > 0').join(' AND ')).length, MAX_FILTER_CLAUSES);
  });

  it('survives deep nesting, lone surrogates and control characters', () => {
    rejectsFilter(`${'('.repeat(100_000)}metrics.x > 1${')'.repeat(100_000)}`, /parentheses/);
    assert.equal(one("params.a = '\ud800'").value, '\ud800');
    rejectsFilter('params.a = \u0000', /unexpected character/);
    assert.equal(one("params.a\u00a0=\u2003'x'").value, 'x', 'Unicode spaces separate tokens');
  });
});

describe('order_by parser', () => {
  const order = (text: string) => parseOrderBy(text, RUN_SEARCH_VOCABULARY);

  it('parses identifiers with an optional, case-insensitive direction', () => {
    assert.deepEqual(order('metrics.rmse'), { entity: 'metric', key: 'rmse', ascending: true });
    assert.deepEqual(order('metrics.rmse desc'), { entity: 'metric', key: 'rmse', ascending: false });
    assert.deepEqual(order('params.alpha ASC'), { entity: 'param', key: 'alpha', ascending: true });
    assert.deepEqual(order('tags.`my tag` Desc'), { entity: 'tag', key: 'my tag', ascending: false });
    assert.deepEqual(order('metrics."my metric"  DESC'), { entity: 'metric', key: 'my metric', ascending: false });
    assert.deepEqual(order('attributes.start_time'), { entity: 'attribute', key: 'start_time', ascending: true });
    assert.deepEqual(order('created DESC'), { entity: 'attribute', key: 'start_time', ascending: false });
    assert.deepEqual(order('`Run name`'), { entity: 'attribute', key: 'run_name', ascending: true });
    for (const key of ['run_id', 'run_name', 'user_id', 'status', 'start_time', 'end_time', 'artifact_uri']) {
      assert.equal(order(key).key, key);
    }
  });

  it('rejects malformed order_by entries', () => {
    rejects(() => order(''), /Invalid order_by clause ''/, /expected an identifier/);
    rejects(() => order('metrics.x DESCENDING'), /Invalid ordering key in order_by clause/, /'DESCENDING'/);
    rejects(() => order('metrics.x DESC extra'), /unexpected 'extra' at position 16/);
    rejects(() => order('metrics.x, params.y'), /unexpected ','/);
    rejects(() => order('metrics.x ASC;'), /unexpected ';'/);
    rejects(() => order('(metrics.x)'), /expected an identifier/);
    rejects(() => order('foo'), /Invalid attribute key 'foo'/);
    rejects(() => order('datasets.name'), /cannot order by dataset 'name'/);
  });

  it('rejects the same field twice, also through aliases', () => {
    rejects(() => parseOrderByList(['metrics.x', 'metric.x DESC'], RUN_SEARCH_VOCABULARY), /`order_by` contains duplicate fields/, /metric 'x'/);
    rejects(() => parseOrderByList(['start_time', 'created DESC'], RUN_SEARCH_VOCABULARY), /duplicate fields/);
    assert.equal(parseOrderByList(['metrics.x', 'params.x', 'tags.x'], RUN_SEARCH_VOCABULARY).length, 3);
    assert.deepEqual(parseOrderByList(undefined, RUN_SEARCH_VOCABULARY), []);
  });
});

describe('experiment vocabulary', () => {
  const experiments = (filter: string): Clause[] => parseFilter(filter, EXPERIMENT_SEARCH_VOCABULARY);

  it('accepts bare, attribute. and attributes. keys (mlflow accepts attributes. here) and tag./tags.', () => {
    assert.deepEqual(experiments("name = 'a' AND attribute.name != 'b' AND attributes.name LIKE 'c%'").map((c) => c.key), ['name', 'name', 'name']);
    assert.deepEqual(experiments("tag.k = 'v' AND tags.k IS NULL").map((c) => [c.entity, c.comparator]), [
      ['tag', '='],
      ['tag', 'IS NULL'],
    ]);
    assert.deepEqual(experiments("experiment_id IN ('1', '2')")[0]?.value, ['1', '2']);
  });

  it('rejects what search_experiments does not support', () => {
    rejects(() => experiments("attr.name = 'a'"), /Invalid entity type 'attr'/, /'attribute', 'attributes', 'tag', 'tags'/);
    rejects(() => experiments('metrics.x > 1'), /Invalid entity type 'metrics'/);
    rejects(() => experiments("name IN ('a')"), /Invalid comparator 'IN' for attribute 'name'/);
    rejects(() => experiments('name IS NULL'), /Invalid comparator 'IS NULL'/);
    rejects(() => experiments("tag.k > 'a'"), /Invalid comparator '>' for tag 'k'/);
    rejects(() => experiments('creation_time > 5.5'), /Expected an integer value for attribute 'creation_time'/);
    rejects(() => experiments('experiment_id = 1'), /Expected a quoted string value for attribute 'experiment_id'/);
    rejects(() => experiments("lifecycle_stage = 'active'"), /Invalid attribute key 'lifecycle_stage'/);
    rejects(() => parseOrderBy('tags.k', EXPERIMENT_SEARCH_VOCABULARY), /cannot order by tag 'k'/);
    rejects(() => parseOrderBy('start_time', EXPERIMENT_SEARCH_VOCABULARY), /Invalid attribute key 'start_time'/);
  });
});

describe('vocabularies are pluggable', () => {
  it('parses a registry-style search with its own entities and keys', () => {
    const registeredModels: SearchVocabulary = {
      bareKeyEntity: 'attribute',
      entities: [
        {
          entity: 'attribute',
          label: 'attribute',
          prefixes: ['attribute'],
          keys: keyTable([{ key: 'name', rule: { valueType: 'string', comparators: STRING_COMPARATORS, orderable: true } }]),
        },
        { entity: 'tag', label: 'tag', prefixes: ['tag', 'tags'], anyKey: { valueType: 'string', comparators: STRING_COMPARATORS, orderable: false } },
      ],
    };
    assert.deepEqual(parseFilter("name ILIKE '%m%' AND tag.`mlflow.prompt.is_prompt` != 'true'", registeredModels), [
      { entity: 'attribute', key: 'name', comparator: 'ILIKE', value: '%m%' },
      { entity: 'tag', key: 'mlflow.prompt.is_prompt', comparator: '!=', value: 'true' },
    ]);
    rejects(() => parseFilter('tag.x IS NULL', registeredModels), /Invalid comparator 'IS NULL'/);
    rejects(() => parseFilter('params.x = 1', registeredModels), /Invalid entity type 'params'/);
  });
});

describe('likeToGlob', () => {
  it('maps wildcards and makes GLOB metacharacters literal', () => {
    assert.equal(likeToGlob('a%b_c'), 'a*b?c');
    assert.equal(likeToGlob('*?[]'), '[*][?][[]]');
    assert.equal(likeToGlob('100\\%'), '100\\*', 'a backslash is literal, not an escape (as MLflow on SQLite)');
  });
});
