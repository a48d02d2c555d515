/**
 * search_registered_models and search_model_versions (reference §7.4, §7.5; checked against mlflow 3.18's
 * SearchModelUtils, SearchModelVersionUtils and the SQLAlchemy registry store): the vocabularies and the
 * compilers to one SQLite query each, returning row ids in result order.
 *
 * Where the reference doc and MLflow differ, MLflow wins:
 * - `name` (both searches) and `run_id` (versions) accept IN / NOT IN lists.
 * - Entity prefixes are `attribute`, `tag` and `tags` only.
 * - Prompts (models, or versions of models, tagged `mlflow.prompt.is_prompt = 'true'`) are left out unless
 *   the filter asks for them (`tags.\`mlflow.prompt.is_prompt\` = 'true'` or `!= 'false'`); any other
 *   clause on that key only means "no prompts" and is dropped. So a model without the tag matches the
 *   `!= 'true'` clause the client appends to every search.
 * - Filters and order_by have separate vocabularies: `timestamp` orders by last-updated time but is not
 *   filterable.
 */
import type { SqlValue } from '../driver';
import { invalidParameter } from '../errors';
import { parseFilter, parseOrderByList, type Clause, type OrderTerm } from './filter';
import { fragment, joinFragments, limitOffset, numericPredicate, stringPredicate, type SqlFragment } from './sql';
import { attributeEntity, LIST_STRING_COMPARATORS, NUMERIC_COMPARATORS, STRING_COMPARATORS, type SearchVocabulary } from './vocabulary';

export const PROMPT_TAG = 'mlflow.prompt.is_prompt';
/** The stage of a soft-deleted version: invisible to every read. */
export const DELETED_STAGE = 'Deleted_Internal';

const listString = { valueType: 'string', comparators: LIST_STRING_COMPARATORS, orderable: false } as const;
const plainString = { valueType: 'string', comparators: STRING_COMPARATORS, orderable: false } as const;
const orderOnly = { valueType: 'number', comparators: [], orderable: true } as const;
const tagEntity = { entity: 'tag', label: 'tag', prefixes: ['tag', 'tags'], anyKey: plainString } as const;

export const REGISTERED_MODEL_FILTER_VOCABULARY: SearchVocabulary = {
  bareKeyEntity: 'attribute',
  entities: [attributeEntity(['attribute'], [{ key: 'name', rule: listString }]), tagEntity],
};

export const REGISTERED_MODEL_ORDER_VOCABULARY: SearchVocabulary = {
  bareKeyEntity: 'attribute',
  entities: [
    attributeEntity(['attribute'], [
      { key: 'name', rule: orderOnly },
      // MLflow sorts both spellings by the last-updated time.
      { key: 'last_updated_timestamp', aliases: ['timestamp'], rule: orderOnly },
      { key: 'creation_timestamp', rule: orderOnly },
    ]),
  ],
};

export const MODEL_VERSION_FILTER_VOCABULARY: SearchVocabulary = {
  bareKeyEntity: 'attribute',
  entities: [
    attributeEntity(['attribute'], [
      { key: 'name', rule: listString },
      { key: 'run_id', rule: listString },
      { key: 'source_path', rule: plainString },
      { key: 'version_number', rule: { valueType: 'integer', comparators: NUMERIC_COMPARATORS, orderable: false } },
    ]),
    tagEntity,
  ],
};

export const MODEL_VERSION_ORDER_VOCABULARY: SearchVocabulary = {
  bareKeyEntity: 'attribute',
  entities: [
    attributeEntity(['attribute'], [
      { key: 'name', rule: orderOnly },
      { key: 'version_number', rule: orderOnly },
      { key: 'creation_timestamp', rule: orderOnly },
      { key: 'last_updated_timestamp', rule: orderOnly },
    ]),
  ],
};

const REGISTERED_MODEL_COLUMNS: Readonly<Record<string, string>> = {
  name: 'rm.name',
  last_updated_timestamp: 'rm.last_updated_timestamp',
  creation_timestamp: 'rm.creation_timestamp',
};

const MODEL_VERSION_COLUMNS: Readonly<Record<string, string>> = {
  name: 'rm.name',
  run_id: 'mv.run_id',
  source_path: 'mv.source',
  version_number: 'mv.version',
  creation_timestamp: 'mv.creation_timestamp',
  last_updated_timestamp: 'mv.last_updated_timestamp',
};

function column(columns: Readonly<Record<string, string>>, key: string): string {
  const found = columns[key];
  if (!found) throw new Error(`No registry search column for '${key}'`);
  return found;
}

/** True when the filter selects prompts rather than excluding them (MLflow looks at the first such clause). */
function queriesPrompts(clauses: readonly Clause[]): boolean {
  const first = clauses.find((clause) => clause.entity === 'tag' && clause.key === PROMPT_TAG);
  if (!first || typeof first.value !== 'string') return false;
  const value = first.value.toLowerCase();
  return (first.comparator === '=' && value === 'true') || (first.comparator === '!=' && value === 'false');
}

/** The clauses to compile, and whether prompts must be excluded. */
function promptRule(clauses: readonly Clause[]): { clauses: Clause[]; excludePrompts: boolean } {
  if (queriesPrompts(clauses)) return { clauses: [...clauses], excludePrompts: false };
  return { clauses: clauses.filter((clause) => !(clause.entity === 'tag' && clause.key === PROMPT_TAG)), excludePrompts: true };
}

function attributePredicate(columns: Readonly<Record<string, string>>, clause: Clause): SqlFragment {
  const target = column(columns, clause.key);
  if (typeof clause.value === 'number') return numericPredicate(target, clause.comparator, clause.value);
  if (clause.value === null) throw new Error(`Registry attribute clauses carry values`);
  return stringPredicate(target, clause.comparator, clause.value);
}

/** A tag clause: the tag must exist and satisfy the comparison (a missing tag fails even `!=`). */
function tagPredicate(table: string, owner: string, ownerId: string, clause: Clause): SqlFragment {
  if (typeof clause.value !== 'string') throw new Error(`Expected a string value for tag '${clause.key}'`);
  const comparison = stringPredicate('t.value', clause.comparator, clause.value);
  return {
    sql: `EXISTS (SELECT 1 FROM ${table} t WHERE t.${owner} = ${ownerId} AND t.key = ? AND ${comparison.sql})`,
    params: [clause.key, ...comparison.params],
  };
}

function orderSql(columns: Readonly<Record<string, string>>, terms: readonly OrderTerm[]): string[] {
  return terms.map((term) => `${column(columns, term.key)} ${term.ascending ? 'ASC' : 'DESC'}`);
}

export interface RegistrySearchQuery {
  filter?: string;
  orderBy?: readonly string[];
  limit: number;
  offset: number;
}

/** `SELECT rm.id FROM registered_models rm ...`: default and tie-breaking order `name ASC`. */
export function compileRegisteredModelSearch(query: RegistrySearchQuery): { sql: string; params: SqlValue[] } {
  const { clauses, excludePrompts } = promptRule(parseFilter(query.filter, REGISTERED_MODEL_FILTER_VOCABULARY));
  const order = parseOrderByList(query.orderBy, REGISTERED_MODEL_ORDER_VOCABULARY);
  const conditions = clauses.map((clause) =>
    clause.entity === 'tag' ? tagPredicate('registered_model_tags', 'registered_model_id', 'rm.id', clause) : attributePredicate(REGISTERED_MODEL_COLUMNS, clause),
  );
  if (excludePrompts) {
    conditions.push(
      fragment(`NOT EXISTS (SELECT 1 FROM registered_model_tags p WHERE p.registered_model_id = rm.id AND p.key = ? AND p.value = 'true')`, PROMPT_TAG),
    );
  }
  const terms = orderSql(REGISTERED_MODEL_COLUMNS, order);
  if (!order.some((term) => term.key === 'name')) terms.push('rm.name ASC');
  const where = conditions.length > 0 ? joinFragments(conditions, ' AND ') : fragment('1');
  const statement = joinFragments(
    [fragment('SELECT rm.id FROM registered_models rm WHERE'), where, fragment(`ORDER BY ${terms.join(', ')}`), limitOffset(query.limit, query.offset)],
    ' ',
  );
  return { sql: statement.sql, params: statement.params };
}

const DEFAULT_VERSION_ORDER = ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'];

/**
 * `SELECT mv.id FROM model_versions mv JOIN registered_models rm ...` over versions that are not deleted.
 * Default order `last_updated_timestamp DESC, name ASC, version_number DESC`; otherwise `name ASC` and
 * `version_number DESC` break ties unless ordered on.
 */
export function compileModelVersionSearch(query: RegistrySearchQuery): { sql: string; params: SqlValue[] } {
  const { clauses, excludePrompts } = promptRule(parseFilter(query.filter, MODEL_VERSION_FILTER_VOCABULARY));
  const order = parseOrderByList(query.orderBy?.length ? query.orderBy : DEFAULT_VERSION_ORDER, MODEL_VERSION_ORDER_VOCABULARY);
  const conditions: SqlFragment[] = [
    fragment('mv.current_stage != ?', DELETED_STAGE),
    ...clauses.map((clause) =>
      clause.entity === 'tag' ? tagPredicate('model_version_tags', 'version_id', 'mv.id', clause) : attributePredicate(MODEL_VERSION_COLUMNS, clause),
    ),
  ];
  if (excludePrompts) {
    conditions.push(
      fragment(
        `NOT EXISTS (SELECT 1 FROM model_versions pv JOIN model_version_tags p ON p.version_id = pv.id
          WHERE pv.registered_model_id = mv.registered_model_id AND p.key = ? AND p.value = 'true')`,
        PROMPT_TAG,
      ),
    );
  }
  const terms = orderSql(MODEL_VERSION_COLUMNS, order);
  if (!order.some((term) => term.key === 'name')) terms.push('rm.name ASC');
  if (!order.some((term) => term.key === 'version_number')) terms.push('mv.version DESC');
  const where = joinFragments(conditions, ' AND ');
  const statement = joinFragments(
    [
      fragment('SELECT mv.id FROM model_versions mv JOIN registered_models rm ON rm.id = mv.registered_model_id WHERE'),
      where,
      fragment(`ORDER BY ${terms.join(', ')}`),
      limitOffset(query.limit, query.offset),
    ],
    ' ',
  );
  return { sql: statement.sql, params: statement.params };
}

/** max_results: a positive integer up to `maximum`; absent → `fallback`. */
export function registryPageSize(value: number | undefined, fallback: number, maximum: number): number {
  const limit = value ?? fallback;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw invalidParameter(`Invalid value for request parameter max_results. It must be a positive integer, but got value ${limit}`);
  }
  if (limit > maximum) {
    throw invalidParameter(`Invalid value for request parameter max_results. It must be at most ${maximum}, but got value ${limit}`);
  }
  return limit;
}
