/**
 * search_runs (reference §7.2): the vocabulary and the compiler from a parsed filter/order_by to one SQLite
 * query that returns run row ids (`runs.id`) in result order.
 *
 * Shape of the query: metric/param/tag clauses are inner JOINs on their unique (run_id, key) (see
 * Restriction), IS NULL and dataset clauses are correlated [NOT] EXISTS, attribute clauses plain WHERE terms;
 * order_by on metrics/params/tags LEFT JOINs the same keys. With the default order and one experiment, the
 * runs_by_experiment index yields rows already sorted, so LIMIT stops the scan early.
 */
import type { SqlValue } from '../driver';
import { parseFilter, parseOrderByList, type Clause, type OrderTerm } from './filter';
import {
  fragment,
  integerListPredicate,
  joinFragments,
  lifecyclePredicate,
  limitOffset,
  numericPredicate,
  stringPredicate,
  type SqlFragment,
  type ViewType,
} from './sql';
import {
  keyTable,
  LIST_STRING_COMPARATORS,
  NULLABLE_STRING_COMPARATORS,
  NUMERIC_COMPARATORS,
  STRING_COMPARATORS,
  type SearchVocabulary,
} from './vocabulary';

/** The input tag that carries a dataset input's context (`training`, `eval`, ...). */
const DATASET_CONTEXT_TAG = 'mlflow.data.context';

const stringAttribute = { valueType: 'string', comparators: STRING_COMPARATORS, orderable: true } as const;
const numericAttribute = { valueType: 'number', comparators: NUMERIC_COMPARATORS, orderable: true } as const;
const datasetField = { valueType: 'string', comparators: LIST_STRING_COMPARATORS, orderable: false } as const;
const keyValueEntity = { valueType: 'string', comparators: NULLABLE_STRING_COMPARATORS, orderable: true } as const;

export const RUN_SEARCH_VOCABULARY: SearchVocabulary = {
  bareKeyEntity: 'attribute',
  entities: [
    {
      entity: 'metric',
      label: 'metric',
      prefixes: ['metric', 'metrics'],
      anyKey: { valueType: 'number', comparators: NUMERIC_COMPARATORS, orderable: true },
    },
    { entity: 'param', label: 'parameter', prefixes: ['param', 'params', 'parameter', 'parameters'], anyKey: keyValueEntity },
    { entity: 'tag', label: 'tag', prefixes: ['tag', 'tags'], anyKey: keyValueEntity },
    {
      entity: 'attribute',
      label: 'attribute',
      prefixes: ['attribute', 'attributes', 'attr', 'run'],
      keys: keyTable([
        // IN / NOT IN are for run_id only, as in MLflow.
        { key: 'run_id', rule: { ...stringAttribute, comparators: LIST_STRING_COMPARATORS } },
        { key: 'run_name', aliases: ['run name', 'Run name', 'Run Name'], rule: stringAttribute },
        { key: 'user_id', rule: stringAttribute },
        { key: 'status', rule: stringAttribute },
        { key: 'artifact_uri', rule: stringAttribute },
        { key: 'start_time', aliases: ['created', 'Created'], rule: numericAttribute },
        { key: 'end_time', rule: numericAttribute },
      ]),
    },
    {
      entity: 'dataset',
      label: 'dataset',
      prefixes: ['dataset', 'datasets'],
      keys: keyTable([
        { key: 'name', rule: datasetField },
        { key: 'digest', rule: datasetField },
        { key: 'context', rule: datasetField },
      ]),
    },
  ],
};

/** Run attribute → column of `runs r`; `nullable` columns sort their NULLs last. */
const ATTRIBUTE_COLUMNS: Readonly<Record<string, { column: string; nullable: boolean }>> = {
  run_id: { column: 'r.run_uuid', nullable: false },
  run_name: { column: 'r.name', nullable: false },
  user_id: { column: 'r.user_id', nullable: false },
  status: { column: 'r.status', nullable: false },
  artifact_uri: { column: 'r.artifact_uri', nullable: false },
  start_time: { column: 'r.start_time', nullable: false },
  end_time: { column: 'r.end_time', nullable: true },
};

function attributeColumn(key: string): { column: string; nullable: boolean } {
  const column = ATTRIBUTE_COLUMNS[key];
  if (!column) throw new Error(`No column for run attribute '${key}'`);
  return column;
}

const stringValue = (clause: Clause): string | readonly string[] => {
  if (typeof clause.value === 'string' || Array.isArray(clause.value)) return clause.value;
  throw new Error(`Expected a string value for ${clause.entity} '${clause.key}'`);
};

const numberValue = (clause: Clause): number => {
  if (typeof clause.value === 'number') return clause.value;
  throw new Error(`Expected a numeric value for ${clause.entity} '${clause.key}'`);
};

/**
 * A metric/param/tag clause: the run's one row for (run_id, key) — unique in all three tables — must exist
 * and satisfy `condition` (which already contains the run_id and key terms).
 *
 * It becomes an inner JOIN when the join budget allows: a join can never duplicate a run, so it means
 * exactly what EXISTS means, but SQLite may start from any joined table (e.g. a selective metric range on
 * the latest_metrics (key, value) index) while a correlated EXISTS forces one probe per candidate run.
 * Measured on 100k runs with a metric, a param and a tag clause: EXISTS 300-450 ms, JOIN 0.2-130 ms
 * depending on selectivity.
 */
interface KeyedRowLookup {
  table: 'latest_metrics' | 'params' | 'tags';
  alias: string;
  condition: SqlFragment;
}

type Restriction = { lookup: KeyedRowLookup } | { where: SqlFragment };

const asJoin = ({ table, alias, condition }: KeyedRowLookup): SqlFragment => ({
  sql: `JOIN ${table} ${alias} ON ${condition.sql}`,
  params: condition.params,
});

const asExists = ({ table, alias, condition }: KeyedRowLookup): SqlFragment => ({
  sql: `EXISTS (SELECT 1 FROM ${table} ${alias} WHERE ${condition.sql})`,
  params: condition.params,
});

/** SQLite joins at most 64 tables in one SELECT; clauses beyond the budget fall back to EXISTS. */
const MAX_JOINED_TABLES = 64;

const keyedRow = (alias: string, key: string): SqlFragment => fragment(`${alias}.run_id = r.id AND ${alias}.key = ?`, key);

/**
 * The latest value of a metric. NaN is stored as 0 with is_nan = 1; like IEEE (and MLflow's SQL store),
 * NaN satisfies only `!=`, so the placeholder 0 can never satisfy `=`, `<` and friends.
 */
function metricRestriction(clause: Clause, alias: string): Restriction {
  const value = numberValue(clause);
  const comparison =
    clause.comparator === '!='
      ? fragment(`(${alias}.value != ? OR ${alias}.is_nan = 1)`, value)
      : joinFragments([numericPredicate(`${alias}.value`, clause.comparator, value), fragment(`${alias}.is_nan = 0`)], ' AND ');
  return { lookup: { table: 'latest_metrics', alias, condition: joinFragments([keyedRow(alias, clause.key), comparison], ' AND ') } };
}

/** Params and tags: a missing key fails every comparison (`!=` included) except IS NULL. */
function keyValueRestriction(table: 'params' | 'tags', clause: Clause, alias: string): Restriction {
  const row = keyedRow(alias, clause.key);
  if (clause.comparator === 'IS NULL') {
    const exists = asExists({ table, alias, condition: row });
    return { where: { sql: `NOT ${exists.sql}`, params: exists.params } };
  }
  if (clause.comparator === 'IS NOT NULL') return { lookup: { table, alias, condition: row } };
  const comparison = stringPredicate(`${alias}.value`, clause.comparator, stringValue(clause));
  return { lookup: { table, alias, condition: joinFragments([row, comparison], ' AND ') } };
}

/** True when any dataset input of the run matches; runs without dataset inputs never match. */
function datasetPredicate(clause: Clause): SqlFragment {
  if (clause.key === 'context') {
    const comparison = stringPredicate('t.value', clause.comparator, stringValue(clause));
    return {
      sql: `EXISTS (SELECT 1 FROM inputs i JOIN input_tags t ON t.input_id = i.id WHERE i.run_id = r.id AND t.key = ? AND ${comparison.sql})`,
      params: [DATASET_CONTEXT_TAG, ...comparison.params],
    };
  }
  const column = clause.key === 'name' ? 'd.name' : 'd.digest';
  const comparison = stringPredicate(column, clause.comparator, stringValue(clause));
  return {
    sql: `EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.id = i.dataset_id WHERE i.run_id = r.id AND ${comparison.sql})`,
    params: comparison.params,
  };
}

function attributePredicate(clause: Clause): SqlFragment {
  const { column } = attributeColumn(clause.key);
  return typeof clause.value === 'number'
    ? numericPredicate(column, clause.comparator, clause.value)
    : stringPredicate(column, clause.comparator, stringValue(clause));
}

function restriction(clause: Clause, index: number): Restriction {
  const alias = `f${index}`;
  switch (clause.entity) {
    case 'metric':
      return metricRestriction(clause, alias);
    case 'param':
      return keyValueRestriction('params', clause, alias);
    case 'tag':
      return keyValueRestriction('tags', clause, alias);
    case 'dataset':
      return { where: datasetPredicate(clause) };
    case 'attribute':
      return { where: attributePredicate(clause) };
  }
}

interface CompiledOrder {
  joins: SqlFragment[];
  terms: string[];
}

const direction = (ascending: boolean): string => (ascending ? 'ASC' : 'DESC');

/**
 * Metrics: real values in the requested direction, then NaN, then runs without the metric.
 * Params/tags: present values (byte-wise) first, missing last. Then `start_time DESC` unless start_time
 * was ordered on, and finally `run_uuid ASC`, as MLflow does.
 */
function compileOrder(order: readonly OrderTerm[]): CompiledOrder {
  const joins: SqlFragment[] = [];
  const terms: string[] = [];
  order.forEach((term, index) => {
    const alias = `o${index}`;
    if (term.entity === 'metric') {
      joins.push(fragment(`LEFT JOIN latest_metrics ${alias} ON ${alias}.run_id = r.id AND ${alias}.key = ?`, term.key));
      terms.push(`CASE WHEN ${alias}.run_id IS NULL THEN 2 WHEN ${alias}.is_nan = 1 THEN 1 ELSE 0 END`);
      terms.push(`${alias}.value ${direction(term.ascending)}`);
    } else if (term.entity === 'param' || term.entity === 'tag') {
      const table = term.entity === 'param' ? 'params' : 'tags';
      joins.push(fragment(`LEFT JOIN ${table} ${alias} ON ${alias}.run_id = r.id AND ${alias}.key = ?`, term.key));
      terms.push(`${alias}.value ${direction(term.ascending)} NULLS LAST`);
    } else if (term.entity === 'attribute') {
      const { column, nullable } = attributeColumn(term.key);
      terms.push(`${column} ${direction(term.ascending)}${nullable ? ' NULLS LAST' : ''}`);
    } else {
      throw new Error(`Cannot order runs by ${term.entity}`);
    }
  });
  if (!order.some((term) => term.entity === 'attribute' && term.key === 'start_time')) terms.push('r.start_time DESC');
  if (!order.some((term) => term.entity === 'attribute' && term.key === 'run_id')) terms.push('r.run_uuid ASC');
  return { joins, terms };
}

function experimentPredicate(experimentIds: readonly number[]): SqlFragment {
  for (const id of experimentIds) {
    if (!Number.isSafeInteger(id)) throw new Error(`Experiment ids must be integers, got ${id}`);
  }
  if (experimentIds.length === 0) return fragment('0');
  // `=` lets the runs_by_experiment index deliver the default order without a sort.
  if (experimentIds.length === 1) return fragment('r.experiment_id = ?', experimentIds[0]!);
  return integerListPredicate('r.experiment_id', 'IN', experimentIds);
}

export interface RunSearchQuery {
  experimentIds: readonly number[];
  viewType: ViewType;
  filter?: string;
  orderBy?: readonly string[];
  limit: number;
  offset: number;
}

/**
 * Compiles a run search to `SELECT r.id FROM runs r ... ORDER BY ... LIMIT ? OFFSET ?`. Throws
 * INVALID_PARAMETER_VALUE for a bad filter or order_by, even when experimentIds is empty (which matches
 * nothing).
 */
export function compileRunSearch(query: RunSearchQuery): { sql: string; params: SqlValue[] } {
  const restrictions = parseFilter(query.filter, RUN_SEARCH_VOCABULARY).map(restriction);
  const order = compileOrder(parseOrderByList(query.orderBy, RUN_SEARCH_VOCABULARY));
  let joinBudget = MAX_JOINED_TABLES - 1 - order.joins.length;
  const joins: SqlFragment[] = [];
  const filters: SqlFragment[] = [];
  for (const restricted of restrictions) {
    if ('where' in restricted) filters.push(restricted.where);
    else if (joinBudget-- > 0) joins.push(asJoin(restricted.lookup));
    else filters.push(asExists(restricted.lookup));
  }
  const conditions = [experimentPredicate(query.experimentIds), lifecyclePredicate('r.lifecycle_stage', query.viewType), ...filters];
  const where = joinFragments(
    conditions.filter((condition): condition is SqlFragment => condition !== null),
    ' AND ',
  );
  const statement = joinFragments(
    [
      fragment('SELECT r.id FROM runs r'),
      ...joins,
      ...order.joins,
      { sql: `WHERE ${where.sql}`, params: where.params },
      fragment(`ORDER BY ${order.terms.join(', ')}`),
      limitOffset(query.limit, query.offset),
    ],
    ' ',
  );
  return { sql: statement.sql, params: statement.params };
}
