/**
 * The lexer for MLflow search filters and order_by strings.
 *
 * It mirrors what MLflow's sqlparse-based tokenizer accepts for the inputs clients actually send, while
 * refusing everything else up front (comments, stray punctuation, unterminated quotes), so the parser never
 * has to guess. Quoted text is kept raw: MLflow strips the surrounding quotes and does no escape
 * processing, so `'it''s'` means the five characters `it''s`, and `` `a``b` `` the key `a``b`.
 */
import { invalidParameter, type MlflowError } from '../errors';

/** One part of an identifier: `metrics`, `` `my metric` ``, `"my param"`. */
export interface NamePart {
  text: string;
  /** Quoted parts are never keywords and may hold any character. */
  quoted: boolean;
}

export type Token =
  /** `key`, `entity.key`, `` `Run name` ``, `tags."a b"`; a lone unquoted word may also be a keyword. */
  | { kind: 'name'; start: number; source: string; entity: NamePart | null; key: NamePart }
  | { kind: 'string'; start: number; source: string; value: string }
  | { kind: 'number'; start: number; source: string; value: number; integral: boolean }
  /** A run of `=!<>` characters; the parser decides whether it is a comparator it knows. */
  | { kind: 'operator'; start: number; source: string }
  | { kind: 'lparen' | 'rparen' | 'comma' | 'semicolon'; start: number; source: string }
  | { kind: 'end'; start: number; source: '' };

/** Characters of an unquoted word; Python's `\w` is Unicode-aware, so is this. */
const isWordChar = (ch: string): boolean => /[\p{L}\p{M}\p{N}_]/u.test(ch);
const isWordStart = (ch: string): boolean => /[\p{L}_]/u.test(ch);
const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';
const isSpace = (ch: string): boolean => /\s/u.test(ch);
const isOperatorChar = (ch: string): boolean => ch === '=' || ch === '!' || ch === '<' || ch === '>';
const isQuote = (ch: string | undefined): boolean => ch === "'" || ch === '"' || ch === '`';

const PUNCTUATION: Readonly<Record<string, 'lparen' | 'rparen' | 'comma' | 'semicolon'>> = {
  '(': 'lparen',
  ')': 'rparen',
  ',': 'comma',
  ';': 'semicolon',
};

/** Shortens user text quoted back in an error message: a 1 MB filter must not become a 1 MB message. */
export function excerpt(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** A pull lexer: the parser stops at the first error, so a huge hostile input is never lexed in full. */
export class Tokenizer {
  private position = 0;

  /**
   * @param text the filter or order_by string
   * @param fail builds the error for a lexical problem, so each caller keeps its own message prefix
   */
  constructor(
    private readonly text: string,
    private readonly fail: (detail: string) => MlflowError = invalidParameter,
  ) {}

  next(): Token {
    this.skipSpace();
    const start = this.position;
    const ch = this.peekChar();
    if (ch === undefined) return { kind: 'end', start, source: '' };

    const punctuation = PUNCTUATION[ch];
    if (punctuation) {
      this.position += 1;
      return { kind: punctuation, start, source: ch };
    }
    if (ch === "'" || ch === '"') {
      const value = this.readQuoted();
      return { kind: 'string', start, source: this.text.slice(start, this.position), value };
    }
    if (isOperatorChar(ch)) {
      while (this.position < this.text.length && isOperatorChar(this.text[this.position]!)) this.position += 1;
      return { kind: 'operator', start, source: this.text.slice(start, this.position) };
    }
    if (isDigit(ch) || ((ch === '-' || ch === '.') && this.startsNumber())) return this.readNumber();
    if (ch === '`' || isWordStart(ch)) return this.readName();
    if (ch === '-' && this.text[this.position + 1] === '-') {
      throw this.fail(`SQL comments are not supported ('--' at position ${start + 1})`);
    }
    throw this.fail(`unexpected character '${ch}' at position ${start + 1}`);
  }

  private peekChar(): string | undefined {
    const code = this.text.codePointAt(this.position);
    return code === undefined ? undefined : String.fromCodePoint(code);
  }

  private skipSpace(): void {
    for (let ch = this.peekChar(); ch !== undefined && isSpace(ch); ch = this.peekChar()) this.position += ch.length;
  }

  /** `-1`, `-.5`, `.5` start a number; `-` alone or `.x` do not. */
  private startsNumber(): boolean {
    const [first, second, third] = [this.text[this.position], this.text[this.position + 1], this.text[this.position + 2]];
    if (first === '.') return isDigit(second);
    return isDigit(second) || (second === '.' && isDigit(third));
  }

  /** Reads the text between a pair of quotes; a doubled quote inside is part of the text, kept as is. */
  private readQuoted(): string {
    const start = this.position;
    const quote = this.text[start]!;
    let index = start + 1;
    for (;;) {
      const close = this.text.indexOf(quote, index);
      if (close < 0) {
        throw this.fail(`unterminated quoted text starting at position ${start + 1}: ${excerpt(this.text.slice(start), 30)}`);
      }
      if (this.text[close + 1] === quote) {
        index = close + 2;
        continue;
      }
      this.position = close + 1;
      return this.text.slice(start + 1, close);
    }
  }

  /** Integer, decimal (`1.`, `.5`) and exponent forms (`1e-3`, `2E+5`), optionally negative. */
  private readNumber(): Token {
    const start = this.position;
    const digits = (): void => {
      while (isDigit(this.text[this.position])) this.position += 1;
    };
    let integral = true;
    if (this.text[this.position] === '-') this.position += 1;
    digits();
    if (this.text[this.position] === '.') {
      integral = false;
      this.position += 1;
      digits();
    }
    const marker = this.text[this.position];
    if (marker === 'e' || marker === 'E') {
      const sign = this.text[this.position + 1];
      const exponentStart = this.position + (sign === '+' || sign === '-' ? 2 : 1);
      if (isDigit(this.text[exponentStart])) {
        integral = false;
        this.position = exponentStart;
        digits();
      }
    }
    const source = this.text.slice(start, this.position);
    const following = this.peekChar();
    if (following !== undefined && (isWordChar(following) || following === '.' || isQuote(following))) {
      const end = this.text.slice(this.position).search(/[\s()=!<>,;]|$/u);
      throw this.fail(`invalid number '${excerpt(this.text.slice(start, this.position + end), 30)}' at position ${start + 1}`);
    }
    return { kind: 'number', start, source, value: Number(source), integral };
  }

  /**
   * `entity.key` split on the first dot. The entity part is a word or backticked; the key part is a quoted
   * string (any quote) or unquoted word characters and dots (`tags.mlflow.source.type`, `metrics.1st`).
   */
  private readName(): Token {
    const start = this.position;
    const first = this.readNamePart(false);
    if (this.text[this.position] !== '.') {
      return { kind: 'name', start, source: this.text.slice(start, this.position), entity: null, key: first };
    }
    this.position += 1;
    const next = this.peekChar();
    if (next === undefined || !(isQuote(next) || isWordChar(next))) {
      throw this.fail(`expected a key after '${excerpt(this.text.slice(start, this.position), 40)}' at position ${this.position + 1}`);
    }
    const key = this.readNamePart(true);
    return { kind: 'name', start, source: this.text.slice(start, this.position), entity: first, key };
  }

  private readNamePart(isKey: boolean): NamePart {
    const ch = this.text[this.position]!;
    if (ch === '`' || (isKey && isQuote(ch))) return { text: this.readQuoted(), quoted: true };
    const start = this.position;
    for (let c = this.peekChar(); c !== undefined && (isWordChar(c) || (isKey && c === '.')); c = this.peekChar()) {
      this.position += c.length;
    }
    return { text: this.text.slice(start, this.position), quoted: false };
  }
}
