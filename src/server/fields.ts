import { invalidParameter } from '../store/errors';
import { invalidValueMessage, missingValueMessage } from '../store/validation';

type Json = Record<string, unknown>;

/**
 * Typed reads of one request message (a JSON body, or a GET query turned into an object), with MLflow's
 * own wording for missing and mistyped fields. `path` prefixes nested fields: `metrics[0].timestamp`.
 */
export class Fields {
  constructor(
    private readonly json: Json,
    private readonly path = '',
  ) {}

  /** A GET query: repeated keys become arrays, single keys stay strings. */
  static fromQuery(query: URLSearchParams): Fields {
    const message: Json = {};
    for (const key of new Set(query.keys())) {
      const values = query.getAll(key);
      message[key] = values.length === 1 ? values[0] : values;
    }
    return new Fields(message);
  }

  private at(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  private raw(name: string, required: boolean): unknown {
    const value = this.json[name];
    if (value === undefined || value === null || (required && value === '')) {
      if (required) throw invalidParameter(missingValueMessage(this.at(name)));
      return undefined;
    }
    return value;
  }

  private invalid(name: string, value: unknown, expected: string): never {
    throw invalidParameter(invalidValueMessage(this.at(name), value, `expected ${expected}.`));
  }

  string(name: string, options: { required: true }): string;
  string(name: string, options?: { required?: boolean }): string | undefined;
  string(name: string, options: { required?: boolean } = {}): string | undefined {
    const value = this.raw(name, options.required ?? false);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.invalid(name, value, 'a string');
    return value;
  }

  /** The first of several names that is present (`run_id`, then the legacy `run_uuid`). */
  oneOf(names: readonly [string, ...string[]]): string {
    for (const name of names) {
      const value = this.string(name);
      if (value !== undefined && value !== '') return value;
    }
    throw invalidParameter(missingValueMessage(this.at(names[0])));
  }

  integer(name: string, options: { required: true }): number;
  integer(name: string, options?: { required?: boolean }): number | undefined;
  integer(name: string, options: { required?: boolean } = {}): number | undefined {
    const value = this.raw(name, options.required ?? false);
    if (value === undefined) return undefined;
    const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isSafeInteger(number)) this.invalid(name, value, 'an integer');
    return number;
  }

  /** A double: a JSON number, or "NaN", "Infinity", "-Infinity" as the client writes non-finite values. */
  double(name: string, options: { required: true }): number;
  double(name: string, options?: { required?: boolean }): number | undefined;
  double(name: string, options: { required?: boolean } = {}): number | undefined {
    const value = this.raw(name, options.required ?? false);
    if (value === undefined) return undefined;
    if (typeof value === 'number') return value;
    if (typeof value === 'string') {
      if (value === 'NaN' || value === 'nan') return NaN;
      if (value === 'Infinity' || value === 'inf') return Infinity;
      if (value === '-Infinity' || value === '-inf') return -Infinity;
      if (value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    }
    this.invalid(name, value, 'a double');
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw(name, false);
    if (value === undefined) return undefined;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    this.invalid(name, value, 'a boolean');
  }

  /** An enum by name, or by its number as protobuf allows. */
  enumValue<T extends string>(name: string, values: readonly T[], numbers: Readonly<Record<number, T>>): T | undefined {
    const value = this.raw(name, false);
    if (value === undefined) return undefined;
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
    const asNumber = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
    if (asNumber !== undefined && numbers[asNumber] !== undefined) return numbers[asNumber];
    this.invalid(name, value, `one of ${values.join(', ')}`);
  }

  /** A repeated string field: a JSON array, or one or more query values. */
  strings(name: string): string[] {
    const value = this.raw(name, false);
    if (value === undefined) return [];
    const items = Array.isArray(value) ? value : typeof value === 'string' ? [value] : this.invalid(name, value, 'a list of strings');
    items.forEach((item, i) => {
      if (typeof item !== 'string') this.invalid(`${name}[${i}]`, item, 'a string');
    });
    return items as string[];
  }

  /** A repeated message field: one Fields reader per element. */
  messages(name: string): Fields[] {
    const value = this.raw(name, false);
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.invalid(name, value, 'a list');
    return value.map((item, i) => {
      const at = `${this.at(name)}[${i}]`;
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw invalidParameter(invalidValueMessage(at, item, 'expected an object.'));
      }
      return new Fields(item as Json, at);
    });
  }

  /** A nested message field (absent = an empty message). */
  message(name: string): Fields {
    const value = this.raw(name, false);
    if (value === undefined) return new Fields({}, this.at(name));
    if (typeof value !== 'object' || Array.isArray(value)) this.invalid(name, value, 'an object');
    return new Fields(value as Json, this.at(name));
  }
}
