/**
 * What one search endpoint understands: its entity prefixes, the keys each entity allows, the value type and
 * comparators of each key, and which keys order_by may name. The parser is generic over this description, so
 * runs, experiments and (later) registry searches share one grammar and differ only in their vocabulary.
 */

export type Comparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';

export type EntityType = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

/**
 * `string`: a quoted literal (or a list of them for IN / NOT IN); `number`: any numeric literal;
 * `integer`: a numeric literal without a fraction or exponent (MLflow rejects `creation_time > 5.5`).
 */
export type ValueType = 'string' | 'number' | 'integer';

export interface KeyRule {
  valueType: ValueType;
  comparators: readonly Comparator[];
  orderable: boolean;
}

/** A fixed key (an attribute or dataset field); aliases such as `created` name their canonical key. */
export interface NamedKeyRule extends KeyRule {
  canonical: string;
}

export interface EntityRule {
  entity: EntityType;
  /** The word MLflow uses for this entity in messages (`parameter`, not `param`). */
  label: string;
  /** Accepted spellings before the dot, matched exactly (MLflow is case-sensitive here). */
  prefixes: readonly string[];
  /** Either a fixed set of keys (attributes, datasets) ... */
  keys?: ReadonlyMap<string, NamedKeyRule>;
  /** ... or one rule for any key (metrics, params, tags). */
  anyKey?: KeyRule;
}

export interface SearchVocabulary {
  entities: readonly EntityRule[];
  /** The entity a key without a prefix belongs to (the attributes). */
  bareKeyEntity: EntityType;
}

export const NUMERIC_COMPARATORS: readonly Comparator[] = ['=', '!=', '>', '>=', '<', '<='];
export const STRING_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
export const NULLABLE_STRING_COMPARATORS: readonly Comparator[] = [...STRING_COMPARATORS, 'IS NULL', 'IS NOT NULL'];
export const LIST_STRING_COMPARATORS: readonly Comparator[] = [...STRING_COMPARATORS, 'IN', 'NOT IN'];

/** Builds a key table where every alias maps to the same rule under its canonical name. */
export function keyTable(entries: readonly { key: string; aliases?: readonly string[]; rule: KeyRule }[]): ReadonlyMap<string, NamedKeyRule> {
  const table = new Map<string, NamedKeyRule>();
  for (const { key, aliases = [], rule } of entries) {
    for (const spelling of [key, ...aliases]) table.set(spelling, { ...rule, canonical: key });
  }
  return table;
}

/** The attribute entity every search has: its fixed keys under the prefixes that endpoint accepts. */
export function attributeEntity(prefixes: readonly string[], keys: Parameters<typeof keyTable>[0]): EntityRule {
  return { entity: 'attribute', label: 'attribute', prefixes, keys: keyTable(keys) };
}
