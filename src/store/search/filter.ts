/**
 * The parser for MLflow search filters (`metrics.rmse < 1 AND params.model = 'cnn'`) and order_by terms
 * (`metrics.rmse DESC`), generic over a SearchVocabulary (./vocabulary). Grammar:
 *
 *   filter     := (clause (AND clause)*)?
 *   clause     := name comparator value | name IS [NOT] NULL
 *   comparator := = | != | > | >= | < | <= | LIKE | ILIKE | IN | NOT IN     (keywords case-insensitive)
 *   value      := string | number | '(' string (',' string)* ','? ')'       (the list only after IN / NOT IN)
 *   order_by   := name (ASC | DESC)?
 *
 * Everything else (OR, NOT as an operator, parentheses, `;`, comments, trailing text) is an
 * INVALID_PARAMETER_VALUE error that names the offending text and its position (1-based). Each clause is
 * checked against the vocabulary as it is read: entity prefix, key, comparator, and value type.
 */
import { invalidParameter, type MlflowError } from '../errors';
import { excerpt, Tokenizer, type Token } from './tokenizer';
import type { Comparator, EntityRule, EntityType, KeyRule, SearchVocabulary } from './vocabulary';

export type { Comparator, EntityType, SearchVocabulary } from './vocabulary';

export type ClauseValue = string | number | readonly string[] | null;

/** One parsed comparison. `key` is canonical (`created` → `start_time`); `value` is null for IS [NOT] NULL. */
export interface Clause {
  entity: EntityType;
  key: string;
  comparator: Comparator;
  value: ClauseValue;
}

export interface OrderTerm {
  entity: EntityType;
  key: string;
  ascending: boolean;
}

/**
 * Each clause becomes one SQL predicate in an AND chain, and SQLite refuses expression trees deeper than
 * 1000; a bound far below that keeps hostile filters from reaching the database at all.
 */
export const MAX_FILTER_CLAUSES = 200;
/** Each metric/param/tag order term costs a join; MLflow clients send a handful. */
export const MAX_ORDER_BY_TERMS = 32;
/** Generous for `run_id IN (...)` with a page of ids, small enough that one request cannot balloon. */
export const MAX_LIST_ITEMS = 10_000;

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'LIKE', 'ILIKE']);
const OPERATOR_COMPARATORS = new Set<string>(['=', '!=', '>', '>=', '<', '<=']);

/** A lone unquoted word, upper-cased, or null: only such tokens can be keywords. */
function keywordOf(token: Token): string | null {
  if (token.kind !== 'name' || token.entity !== null || token.key.quoted) return null;
  return token.key.text.toUpperCase();
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end of the input' : `'${excerpt(token.source, 40)}' at position ${token.start + 1}`;
}

interface ResolvedName {
  entityRule: EntityRule;
  key: string;
  rule: KeyRule;
  /** For messages: `parameter 'lr'`, `attribute 'start_time'`. */
  subject: string;
}

/** Maps `entity.key` to its vocabulary entry, or throws the MLflow-style error for an unknown entity/key. */
function resolveName(token: Extract<Token, { kind: 'name' }>, vocabulary: SearchVocabulary, where: string): ResolvedName {
  const prefix = token.entity?.text;
  const entityRule =
    prefix === undefined
      ? vocabulary.entities.find((rule) => rule.entity === vocabulary.bareKeyEntity)
      : vocabulary.entities.find((rule) => rule.prefixes.includes(prefix));
  if (!entityRule) {
    const valid = vocabulary.entities.flatMap((rule) => rule.prefixes).map((p) => `'${p}'`);
    throw invalidParameter(`Invalid entity type '${excerpt(prefix ?? '', 40)}'${where}. Valid entity types are ${valid.join(', ')}.`);
  }
  const keyText = token.key.text;
  if (keyText === '') throw invalidParameter(`Empty ${entityRule.label} key${where}.`);
  if (entityRule.anyKey) {
    return { entityRule, key: keyText, rule: entityRule.anyKey, subject: `${entityRule.label} '${excerpt(keyText, 60)}'` };
  }
  const named = entityRule.keys?.get(keyText);
  if (!named) {
    const valid = [...(entityRule.keys?.keys() ?? [])].map((k) => `'${k}'`);
    throw invalidParameter(`Invalid ${entityRule.label} key '${excerpt(keyText, 60)}' specified${where}. Valid keys are ${valid.join(', ')}.`);
  }
  return { entityRule, key: named.canonical, rule: named, subject: `${entityRule.label} '${named.canonical}'` };
}

const at = (token: Token): string => (token.kind === 'end' ? ' at the end of the filter' : ` at position ${token.start + 1}`);

class FilterParser {
  private readonly tokens: Tokenizer;
  private lookahead: Token | undefined;

  constructor(
    filter: string,
    private readonly vocabulary: SearchVocabulary,
  ) {
    this.tokens = new Tokenizer(filter, (detail) => this.syntaxError(detail));
  }

  parse(): Clause[] {
    const clauses: Clause[] = [];
    if (this.peek().kind === 'end') return clauses;
    for (;;) {
      if (clauses.length === MAX_FILTER_CLAUSES) {
        throw invalidParameter(`Too many clauses in filter string: at most ${MAX_FILTER_CLAUSES} are supported.`);
      }
      clauses.push(this.parseClause());
      const joiner = this.take();
      if (joiner.kind === 'end') return clauses;
      if (keywordOf(joiner) !== 'AND') throw this.unexpected(joiner, 'expected AND or the end of the filter');
      if (this.peek().kind === 'end') throw this.syntaxError(`the filter ends with AND${at(joiner)}; a clause must follow it`);
    }
  }

  private peek(): Token {
    this.lookahead ??= this.tokens.next();
    return this.lookahead;
  }

  private take(): Token {
    const token = this.peek();
    this.lookahead = undefined;
    return token;
  }

  private syntaxError(detail: string): MlflowError {
    return invalidParameter(`Invalid clause(s) in filter string: ${detail}.`);
  }

  /** Names the unsupported constructs people actually try, so the message says what to do instead. */
  private unexpected(token: Token, expectation: string): MlflowError {
    const keyword = keywordOf(token);
    if (keyword === 'OR') return this.syntaxError(`${describe(token)}: OR is not supported, only AND can join clauses`);
    if (keyword === 'NOT') return this.syntaxError(`${describe(token)}: NOT can only be used in NOT IN and IS NOT NULL`);
    if (token.kind === 'lparen' || token.kind === 'rparen') {
      return this.syntaxError(`${describe(token)}: parentheses can only enclose the list of an IN / NOT IN clause`);
    }
    if (token.kind === 'semicolon') {
      return this.syntaxError(`${describe(token)}: a filter is a single list of clauses joined by AND, not several statements`);
    }
    return this.syntaxError(`${expectation}, found ${describe(token)}`);
  }

  private parseClause(): Clause {
    const nameToken = this.take();
    const keyword = keywordOf(nameToken);
    if (nameToken.kind !== 'name' || (keyword !== null && KEYWORDS.has(keyword))) {
      throw this.unexpected(nameToken, 'expected an identifier such as metrics.rmse, params.alpha or tags.`my tag`');
    }
    const target = resolveName(nameToken, this.vocabulary, ` in filter clause at position ${nameToken.start + 1}`);
    const comparatorToken = this.peek();
    const comparator = this.parseComparator(nameToken);
    if (!target.rule.comparators.includes(comparator)) {
      throw invalidParameter(
        `Invalid comparator '${comparator}' for ${target.subject}${at(comparatorToken)}. Valid comparators are ${target.rule.comparators.map((c) => `'${c}'`).join(', ')}.`,
      );
    }
    const value = this.parseValue(comparator, target);
    return { entity: target.entityRule.entity, key: target.key, comparator, value };
  }

  private parseComparator(nameToken: Token): Comparator {
    const token = this.take();
    if (token.kind === 'operator') {
      if (OPERATOR_COMPARATORS.has(token.source)) return token.source as Comparator;
      throw invalidParameter(
        `Invalid comparator '${excerpt(token.source, 20)}'${at(token)}. Valid comparators are =, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL.`,
      );
    }
    const keyword = keywordOf(token);
    if (keyword === 'LIKE' || keyword === 'ILIKE' || keyword === 'IN') return keyword;
    if (keyword === 'NOT') {
      const following = this.take();
      if (keywordOf(following) === 'IN') return 'NOT IN';
      throw invalidParameter(
        `Invalid comparator 'NOT ${excerpt(following.source, 20)}'${at(token)}. NOT is only supported in NOT IN and IS NOT NULL.`,
      );
    }
    if (keyword === 'IS') {
      let following = this.take();
      const negated = keywordOf(following) === 'NOT';
      if (negated) following = this.take();
      if (keywordOf(following) === 'NULL') return negated ? 'IS NOT NULL' : 'IS NULL';
      throw this.syntaxError(`expected NULL or NOT NULL after IS${at(token)}, found ${describe(following)}`);
    }
    throw this.unexpected(token, `expected a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN, IS NULL) after '${excerpt(nameToken.source, 40)}'`);
  }

  private parseValue(comparator: Comparator, target: ResolvedName): ClauseValue {
    if (comparator === 'IS NULL' || comparator === 'IS NOT NULL') return null;
    if (comparator === 'IN' || comparator === 'NOT IN') return this.parseList(comparator, target);
    const token = this.take();
    if (target.rule.valueType === 'string') {
      if (token.kind === 'string') return token.value;
      throw this.wrongValue(token, comparator, `Expected a quoted string value for ${target.subject}`, " (e.g. 'my-value')");
    }
    if (token.kind === 'number') {
      if (target.rule.valueType === 'integer' && !(token.integral && Number.isSafeInteger(token.value))) {
        throw invalidParameter(`Expected an integer value for ${target.subject}${at(token)}. Got value ${excerpt(token.source, 40)}.`);
      }
      return token.value;
    }
    throw this.wrongValue(token, comparator, `Expected a numeric value for ${target.subject}`, ' (e.g. 0.5)');
  }

  private wrongValue(token: Token, comparator: Comparator, expectation: string, example: string): MlflowError {
    if (token.kind === 'end') return invalidParameter(`${expectation}${example}, but the filter ends after '${comparator}'.`);
    if (token.kind === 'lparen') {
      return invalidParameter(`${expectation}${at(token)}${example}. A list of values is only allowed with IN and NOT IN.`);
    }
    const hint = keywordOf(token) === 'NULL' ? ' To test for a missing value use IS NULL.' : '';
    return invalidParameter(`${expectation}${at(token)}${example}. Got value ${excerpt(token.source, 40)}.${hint}`);
  }

  private parseList(comparator: Comparator, target: ResolvedName): string[] {
    const open = this.take();
    if (open.kind !== 'lparen') {
      throw invalidParameter(`${comparator} expects a parenthesised list of quoted strings such as ('a', 'b') for ${target.subject}${at(open)}, found ${describe(open)}.`);
    }
    const items: string[] = [];
    for (;;) {
      const token = this.take();
      if (token.kind === 'rparen' && items.length > 0) return items;
      if (token.kind === 'rparen') {
        throw invalidParameter(`While parsing a list in the query, expected a non-empty list of string values, but got empty list${at(open)}.`);
      }
      if (token.kind !== 'string') {
        throw invalidParameter(`While parsing a list in the query, expected a quoted string value, found ${describe(token)}.`);
      }
      if (items.length === MAX_LIST_ITEMS) throw invalidParameter(`Too many values in the ${comparator} list${at(open)}: at most ${MAX_LIST_ITEMS} are supported.`);
      items.push(token.value);
      const separator = this.take();
      if (separator.kind === 'rparen') return items;
      if (separator.kind !== 'comma') {
        throw invalidParameter(`While parsing a list in the query, expected ',' or ')', found ${describe(separator)}.`);
      }
    }
  }
}

/** Parses a filter string; absent, empty or all-whitespace means "match everything" (no clauses). */
export function parseFilter(filter: string | undefined, vocabulary: SearchVocabulary): Clause[] {
  if (!filter) return [];
  return new FilterParser(filter, vocabulary).parse();
}

/** Parses one order_by entry: `<identifier> [ASC|DESC]`, direction case-insensitive, default ascending. */
export function parseOrderBy(orderBy: string, vocabulary: SearchVocabulary): OrderTerm {
  const fail = (detail: string): MlflowError => invalidParameter(`Invalid order_by clause '${excerpt(orderBy, 80)}': ${detail}.`);
  const tokens = new Tokenizer(orderBy, fail);
  const nameToken = tokens.next();
  if (nameToken.kind !== 'name') throw fail(`expected an identifier such as metrics.rmse or start_time, found ${describe(nameToken)}`);
  let ascending = true;
  let token = tokens.next();
  if (token.kind === 'name') {
    const direction = keywordOf(token);
    if (direction !== 'ASC' && direction !== 'DESC') {
      throw invalidParameter(`Invalid ordering key in order_by clause '${excerpt(orderBy, 80)}': expected ASC or DESC, found ${describe(token)}.`);
    }
    ascending = direction === 'ASC';
    token = tokens.next();
  }
  if (token.kind !== 'end') throw fail(`unexpected ${describe(token)}; expected '<identifier> [ASC|DESC]'`);

  const target = resolveName(nameToken, vocabulary, ` in order_by clause '${excerpt(orderBy, 80)}'`);
  if (!target.rule.orderable) throw invalidParameter(`Invalid order_by clause '${excerpt(orderBy, 80)}': cannot order by ${target.subject}.`);
  return { entity: target.entityRule.entity, key: target.key, ascending };
}

/** Parses all order_by entries; naming the same field twice (even through aliases) is an error, as in MLflow. */
export function parseOrderByList(orderBy: readonly string[] | undefined, vocabulary: SearchVocabulary): OrderTerm[] {
  const seen = new Map<string, string>();
  if ((orderBy?.length ?? 0) > MAX_ORDER_BY_TERMS) {
    throw invalidParameter(`Too many order_by entries: at most ${MAX_ORDER_BY_TERMS} are supported.`);
  }
  return (orderBy ?? []).map((entry) => {
    const term = parseOrderBy(entry, vocabulary);
    const field = `${term.entity}\u0000${term.key}`;
    const earlier = seen.get(field);
    if (earlier !== undefined) {
      throw invalidParameter(
        `\`order_by\` contains duplicate fields: '${excerpt(earlier, 80)}' and '${excerpt(entry, 80)}' both order by ${term.entity} '${excerpt(term.key, 60)}'.`,
      );
    }
    seen.set(field, entry);
    return term;
  });
}
