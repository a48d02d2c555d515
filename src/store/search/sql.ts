/**
 * SQL building blocks shared by the search compilers. Every value, key included, travels as a bound
 * parameter; only fixed column names and operators chosen from closed sets ever become SQL text.
 */
import type { SqlValue } from '../driver';
import { invalidParameter } from '../errors';
import type { Comparator } from './vocabulary';

/** SQL text with its parameters in textual order, so fragments can be concatenated safely. */
export interface SqlFragment {
  sql: string;
  params: SqlValue[];
}

export const fragment = (sql: string, ...params: SqlValue[]): SqlFragment => ({ sql, params });

/** Joins fragments with a separator, keeping parameters in the order their placeholders appear. */
export function joinFragments(parts: readonly SqlFragment[], separator: string): SqlFragment {
  return { sql: parts.map((part) => part.sql).join(separator), params: parts.flatMap((part) => part.params) };
}

/** SQLite rejects longer LIKE/GLOB patterns with an opaque error (SQLITE_LIMIT_LIKE_PATTERN_LENGTH). */
const MAX_PATTERN_BYTES = 50_000;

/**
 * MLflow's LIKE is case-sensitive, SQLite's is not (for ASCII), so LIKE becomes GLOB: `%` → `*`, `_` → `?`,
 * and GLOB's own metacharacters `*`, `?`, `[` are made literal as one-character classes. A backslash is
 * literal in both (MLflow on SQLite uses no ESCAPE clause either); `]` outside a class is literal in GLOB.
 */
export function likeToGlob(pattern: string): string {
  let glob = '';
  for (const ch of pattern) {
    if (ch === '%') glob += '*';
    else if (ch === '_') glob += '?';
    else if (ch === '*' || ch === '?' || ch === '[') glob += `[${ch}]`;
    else glob += ch;
  }
  return glob;
}

function checkedPattern(pattern: string): string {
  if (Buffer.byteLength(pattern, 'utf8') > MAX_PATTERN_BYTES) {
    throw invalidParameter(`LIKE pattern is too long: at most ${MAX_PATTERN_BYTES} bytes are supported.`);
  }
  return pattern;
}

/**
 * `column <comparator> value` for a TEXT column: `=`/`!=` compare byte-wise (BINARY collation), LIKE is
 * case-sensitive (GLOB), ILIKE is SQLite's LIKE (ASCII case folding, `%` and `_` wildcards, no escape
 * character), and IN lists travel as one JSON parameter so any list length is one placeholder.
 */
export function stringPredicate(column: string, comparator: Comparator, value: string | readonly string[]): SqlFragment {
  if (comparator === 'IN' || comparator === 'NOT IN') {
    const list = typeof value === 'string' ? [value] : value;
    return fragment(`${column} ${comparator} (SELECT value FROM json_each(?))`, JSON.stringify(list));
  }
  if (typeof value !== 'string') throw new Error(`A list value needs IN or NOT IN, not ${comparator}`);
  switch (comparator) {
    case '=':
    case '!=':
      return fragment(`${column} ${comparator} ?`, value);
    case 'LIKE':
      return fragment(`${column} GLOB ?`, checkedPattern(likeToGlob(value)));
    case 'ILIKE':
      return fragment(`${column} LIKE ?`, checkedPattern(value));
    default:
      throw new Error(`Comparator ${comparator} does not apply to strings`);
  }
}

/** `column <comparator> value` for a numeric column. */
export function numericPredicate(column: string, comparator: Comparator, value: number): SqlFragment {
  switch (comparator) {
    case '=':
    case '!=':
    case '>':
    case '>=':
    case '<':
    case '<=':
      return fragment(`${column} ${comparator} ?`, value);
    default:
      throw new Error(`Comparator ${comparator} does not apply to numbers`);
  }
}

/** `[IN] (SELECT value FROM json_each(?))` membership for integer ids; one placeholder for any count. */
export function integerListPredicate(column: string, comparator: 'IN' | 'NOT IN', values: readonly number[]): SqlFragment {
  return fragment(`${column} ${comparator} (SELECT value FROM json_each(?))`, JSON.stringify(values));
}

export const VIEW_TYPE_STAGES = {
  ACTIVE_ONLY: ['active'],
  DELETED_ONLY: ['deleted'],
  ALL: ['active', 'deleted'],
} as const satisfies Record<string, readonly string[]>;

export type ViewType = keyof typeof VIEW_TYPE_STAGES;

/** The lifecycle condition; ALL adds none, so the planner is free to use any index. */
export function lifecyclePredicate(column: string, viewType: ViewType): SqlFragment | null {
  const stages = VIEW_TYPE_STAGES[viewType];
  if (stages === undefined) throw invalidParameter(`Invalid view type '${String(viewType)}'.`);
  return stages.length === 1 ? fragment(`${column} = ?`, stages[0]) : null;
}

export function limitOffset(limit: number, offset: number): SqlFragment {
  for (const [name, value] of [['limit', limit], ['offset', offset]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`Search ${name} must be a non-negative integer, got ${value}`);
  }
  return fragment('LIMIT ? OFFSET ?', limit, offset);
}
