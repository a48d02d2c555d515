/**
 * search_logged_models (reference §7.6): plural entity prefixes only, IN lists for any string entity, and
 * order_by given as objects. A metric clause matches when any of the model's metric rows for that key does,
 * restricted to the requested datasets when the request names some.
 */
import type { SqlValue } from '../driver';
import { invalidParameter } from '../errors';
import { parseFilter, type Clause } from './filter';
import { fragment, integerListPredicate, joinFragments, limitOffset, numericPredicate, stringPredicate, type SqlFragment } from './sql';
import { attributeEntity, LIST_STRING_COMPARATORS, NUMERIC_COMPARATORS, type SearchVocabulary } from './vocabulary';

const stringKey = { valueType: 'string', comparators: LIST_STRING_COMPARATORS, orderable: true } as const;
const numericKey = { valueType: 'number', comparators: NUMERIC_COMPARATORS, orderable: true } as const;

export const LOGGED_MODEL_SEARCH_VOCABULARY: SearchVocabulary = {
  bareKeyEntity: 'attribute',
  entities: [
    { entity: 'metric', label: 'metric', prefixes: ['metrics'], anyKey: numericKey },
    { entity: 'param', label: 'parameter', prefixes: ['params'], anyKey: stringKey },
    { entity: 'tag', label: 'tag', prefixes: ['tags'], anyKey: stringKey },
    attributeEntity(['attributes'], [
      { key: 'name', rule: stringKey },
      { key: 'model_id', rule: stringKey },
      { key: 'model_type', rule: stringKey },
      { key: 'status', rule: stringKey },
      { key: 'source_run_id', rule: stringKey },
      { key: 'creation_timestamp', aliases: ['creation_time'], rule: numericKey },
      { key: 'last_updated_timestamp', aliases: ['last_updated_time'], rule: numericKey },
    ]),
  ],
};

const ATTRIBUTE_COLUMNS: Readonly<Record<string, string>> = {
  name: 'lm.name',
  model_id: 'lm.model_id',
  model_type: 'lm.model_type',
  status: 'lm.status',
  source_run_id: 'lm.source_run_id',
  creation_timestamp: 'lm.creation_timestamp_ms',
  last_updated_timestamp: 'lm.last_updated_timestamp_ms',
};

export interface DatasetFilter {
  dataset_name: string;
  dataset_digest?: string;
}

export interface LoggedModelOrder {
  field_name: string;
  ascending?: boolean;
  dataset_name?: string;
  dataset_digest?: string;
}

export interface LoggedModelSearchQuery {
  experimentIds: readonly number[];
  filter?: string;
  datasets?: readonly DatasetFilter[];
  orderBy?: readonly LoggedModelOrder[];
  limit: number;
  offset: number;
}

/** `(mm.dataset_name = ? AND mm.dataset_digest = ?) OR ...` for the requested datasets, or nothing. */
function datasetCondition(datasets: readonly DatasetFilter[], alias: string): SqlFragment | undefined {
  if (datasets.length === 0) return undefined;
  const parts = datasets.map((d) =>
    d.dataset_digest
      ? fragment(`(${alias}.dataset_name = ? AND ${alias}.dataset_digest = ?)`, d.dataset_name, d.dataset_digest)
      : fragment(`${alias}.dataset_name = ?`, d.dataset_name),
  );
  const joined = joinFragments(parts, ' OR ');
  return { sql: `(${joined.sql})`, params: joined.params };
}

function clausePredicate(clause: Clause, datasets: readonly DatasetFilter[]): SqlFragment {
  const value = clause.value;
  if (clause.entity === 'metric') {
    if (typeof value !== 'number') throw new Error('metric clauses carry numbers');
    const conditions = [fragment('mm.model_id = lm.id AND mm.key = ? AND mm.is_nan = 0', clause.key), numericPredicate('mm.value', clause.comparator, value)];
    const onDatasets = datasetCondition(datasets, 'mm');
    if (onDatasets) conditions.push(onDatasets);
    const where = joinFragments(conditions, ' AND ');
    return { sql: `EXISTS (SELECT 1 FROM logged_model_metrics mm WHERE ${where.sql})`, params: where.params };
  }
  if (clause.entity === 'param' || clause.entity === 'tag') {
    if (value === null || typeof value === 'number') throw new Error('param and tag clauses carry strings');
    const table = clause.entity === 'param' ? 'logged_model_params' : 'logged_model_tags';
    const comparison = stringPredicate('kv.value', clause.comparator, value);
    return { sql: `EXISTS (SELECT 1 FROM ${table} kv WHERE kv.model_id = lm.id AND kv.key = ? AND ${comparison.sql})`, params: [clause.key, ...comparison.params] };
  }
  const column = ATTRIBUTE_COLUMNS[clause.key];
  if (!column) throw new Error(`No column for logged model attribute '${clause.key}'`);
  if (typeof value === 'number') return numericPredicate(column, clause.comparator, value);
  if (value === null) throw new Error('attribute clauses carry values');
  return stringPredicate(column, clause.comparator, value);
}

/** Orders by an attribute or by the latest value (timestamp, then step) of a metric; NULLs last. */
function compileOrder(orderBy: readonly LoggedModelOrder[]): SqlFragment[] {
  const terms: SqlFragment[] = [];
  const seen = new Set<string>();
  for (const order of orderBy) {
    const dir = order.ascending === false ? 'DESC' : 'ASC';
    if (seen.has(order.field_name)) throw invalidParameter(`order_by contains '${order.field_name}' twice.`);
    seen.add(order.field_name);
    if (order.field_name.startsWith('metrics.')) {
      const key = order.field_name.slice('metrics.'.length).replace(/^`(.*)`$/, '$1');
      const onDataset = datasetCondition(order.dataset_name ? [{ dataset_name: order.dataset_name, dataset_digest: order.dataset_digest }] : [], 'mm');
      const latest = `SELECT mm.value FROM logged_model_metrics mm WHERE mm.model_id = lm.id AND mm.key = ?${onDataset ? ` AND ${onDataset.sql}` : ''}
        ORDER BY mm.timestamp DESC, mm.step DESC LIMIT 1`;
      terms.push({ sql: `(${latest}) ${dir} NULLS LAST`, params: [key, ...(onDataset?.params ?? [])] });
      continue;
    }
    const attribute = LOGGED_MODEL_SEARCH_VOCABULARY.entities
      .find((entity) => entity.entity === 'attribute')
      ?.keys?.get(order.field_name.replace(/^attributes\./, ''))?.canonical;
    const column = attribute && ATTRIBUTE_COLUMNS[attribute];
    if (!column) {
      throw invalidParameter(`Invalid order_by field '${order.field_name}': use an attribute (name, creation_timestamp, ...) or metrics.<key>.`);
    }
    terms.push(fragment(`${column} ${dir} NULLS LAST`));
  }
  if (![...seen].some((field) => /^(attributes\.)?creation_(timestamp|time)$/.test(field))) terms.push(fragment('lm.creation_timestamp_ms DESC'));
  terms.push(fragment('lm.id DESC'));
  return terms;
}

/** `SELECT lm.id FROM logged_models lm ... LIMIT ? OFFSET ?` over active models of the experiments. */
export function compileLoggedModelSearch(query: LoggedModelSearchQuery): { sql: string; params: SqlValue[] } {
  const datasets = query.datasets ?? [];
  const clauses = parseFilter(query.filter, LOGGED_MODEL_SEARCH_VOCABULARY);
  const conditions: SqlFragment[] = [
    query.experimentIds.length === 0 ? fragment('0') : integerListPredicate('lm.experiment_id', 'IN', query.experimentIds),
    fragment(`lm.lifecycle_stage = 'active'`),
    ...clauses.map((clause) => clausePredicate(clause, datasets)),
  ];
  // Datasets without a metric clause: keep models with at least one metric on one of them.
  const onDatasets = datasetCondition(datasets, 'mm');
  if (onDatasets && !clauses.some((clause) => clause.entity === 'metric')) {
    conditions.push({ sql: `EXISTS (SELECT 1 FROM logged_model_metrics mm WHERE mm.model_id = lm.id AND ${onDatasets.sql})`, params: onDatasets.params });
  }
  const where = joinFragments(conditions, ' AND ');
  const order = joinFragments(compileOrder(query.orderBy ?? []), ', ');
  const statement = joinFragments(
    [fragment('SELECT lm.id FROM logged_models lm WHERE'), where, fragment('ORDER BY'), order, limitOffset(query.limit, query.offset)],
    ' ',
  );
  return { sql: statement.sql, params: statement.params };
}
