/**
 * search_experiments (reference §7.3, checked against mlflow's SearchExperimentsUtils and SqlAlchemyStore):
 * the vocabulary and the compiler to one SQLite query returning `experiments.experiment_id` in result order.
 *
 * Where the reference doc and MLflow differ, MLflow wins: `attributes.` is accepted like `attribute.`, and
 * `experiment_id` is filterable with quoted ids (`experiment_id IN ('1', '2')`).
 */
import type { SqlValue } from '../driver';
import { invalidParameter } from '../errors';
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
import { attributeEntity, NULLABLE_STRING_COMPARATORS, NUMERIC_COMPARATORS, STRING_COMPARATORS, type SearchVocabulary } from './vocabulary';

const timestampAttribute = { valueType: 'integer', comparators: NUMERIC_COMPARATORS, orderable: true } as const;

export const EXPERIMENT_SEARCH_VOCABULARY: SearchVocabulary = {
  bareKeyEntity: 'attribute',
  entities: [
    attributeEntity(['attribute', 'attributes'], [
      { key: 'name', rule: { valueType: 'string', comparators: STRING_COMPARATORS, orderable: true } },
      // Ids are quoted strings in filters (MLflow ids are strings on the wire) and compared as integers.
      { key: 'experiment_id', rule: { valueType: 'string', comparators: ['=', '!=', 'IN', 'NOT IN'], orderable: true } },
      { key: 'creation_time', rule: timestampAttribute },
      { key: 'last_update_time', rule: timestampAttribute },
    ]),
    {
      entity: 'tag',
      label: 'tag',
      prefixes: ['tag', 'tags'],
      anyKey: { valueType: 'string', comparators: NULLABLE_STRING_COMPARATORS, orderable: false },
    },
  ],
};

const ATTRIBUTE_COLUMNS: Readonly<Record<string, string>> = {
  name: 'e.name',
  experiment_id: 'e.experiment_id',
  creation_time: 'e.creation_time',
  last_update_time: 'e.last_update_time',
};

function attributeColumn(key: string): string {
  const column = ATTRIBUTE_COLUMNS[key];
  if (!column) throw new Error(`No column for experiment attribute '${key}'`);
  return column;
}

/** Python's int() on an id string, as MLflow's _parse_experiment_id does (surrounding blanks and a sign allowed). */
function parseExperimentId(text: string): number {
  const trimmed = text.trim();
  const id = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw invalidParameter(`Invalid experiment ID '${text.slice(0, 100)}'. Experiment ID must be a valid integer.`);
  return id;
}

function experimentIdPredicate(clause: Clause): SqlFragment {
  const { comparator, value } = clause;
  if (typeof value === 'string' && (comparator === '=' || comparator === '!=')) {
    return numericPredicate('e.experiment_id', comparator, parseExperimentId(value));
  }
  if (Array.isArray(value) && (comparator === 'IN' || comparator === 'NOT IN')) {
    return integerListPredicate('e.experiment_id', comparator, value.map(parseExperimentId));
  }
  throw new Error(`Unexpected experiment_id clause ${comparator}`);
}

function tagPredicate(clause: Clause): SqlFragment {
  const lookup = 'SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = ?';
  if (clause.comparator === 'IS NULL') return fragment(`NOT EXISTS (${lookup})`, clause.key);
  if (clause.comparator === 'IS NOT NULL') return fragment(`EXISTS (${lookup})`, clause.key);
  if (typeof clause.value !== 'string') throw new Error(`Expected a string value for tag '${clause.key}'`);
  // A missing tag fails every comparison, `!=` included.
  const comparison = stringPredicate('t.value', clause.comparator, clause.value);
  return { sql: `EXISTS (${lookup} AND ${comparison.sql})`, params: [clause.key, ...comparison.params] };
}

function clausePredicate(clause: Clause): SqlFragment {
  if (clause.entity === 'tag') return tagPredicate(clause);
  if (clause.key === 'experiment_id') return experimentIdPredicate(clause);
  const column = attributeColumn(clause.key);
  if (typeof clause.value === 'number') return numericPredicate(column, clause.comparator, clause.value);
  if (typeof clause.value === 'string') return stringPredicate(column, clause.comparator, clause.value);
  throw new Error(`Unexpected value for experiment attribute '${clause.key}'`);
}

/** Default `creation_time DESC, experiment_id ASC`; otherwise `experiment_id DESC` breaks ties unless named. */
function orderTerms(order: readonly OrderTerm[]): string[] {
  if (order.length === 0) return ['e.creation_time DESC', 'e.experiment_id ASC'];
  const terms = order.map((term) => `${attributeColumn(term.key)} ${term.ascending ? 'ASC' : 'DESC'}`);
  if (!order.some((term) => term.key === 'experiment_id')) terms.push('e.experiment_id DESC');
  return terms;
}

export interface ExperimentSearchQuery {
  viewType: ViewType;
  filter?: string;
  orderBy?: readonly string[];
  limit: number;
  offset: number;
}

/** Compiles an experiment search to `SELECT e.experiment_id FROM experiments e ... LIMIT ? OFFSET ?`. */
export function compileExperimentSearch(query: ExperimentSearchQuery): { sql: string; params: SqlValue[] } {
  const clauses = parseFilter(query.filter, EXPERIMENT_SEARCH_VOCABULARY);
  const order = parseOrderByList(query.orderBy, EXPERIMENT_SEARCH_VOCABULARY);
  const conditions = [lifecyclePredicate('e.lifecycle_stage', query.viewType), ...clauses.map(clausePredicate)].filter(
    (condition): condition is SqlFragment => condition !== null,
  );
  const where = conditions.length > 0 ? joinFragments(conditions, ' AND ') : fragment('1');
  const statement = joinFragments(
    [
      fragment('SELECT e.experiment_id FROM experiments e'),
      { sql: `WHERE ${where.sql}`, params: where.params },
      fragment(`ORDER BY ${orderTerms(order).join(', ')}`),
      limitOffset(query.limit, query.offset),
    ],
    ' ',
  );
  return { sql: statement.sql, params: statement.params };
}
