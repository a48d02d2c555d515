/**
 * The seam every SQLite access goes through. better-sqlite3 serves Node; a second driver (for example a
 * WebAssembly SQLite) can serve runtimes where the native binding does not load, without touching the store.
 */
export type SqlValue = string | number | bigint | null | Uint8Array;
export type SqlParams = readonly SqlValue[];

export interface SqlStatement<Row = Record<string, SqlValue>> {
  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: SqlValue[]): Row | undefined;
  all(...params: SqlValue[]): Row[];
  iterate(...params: SqlValue[]): IterableIterator<Row>;
}

export interface SqlDriver {
  readonly name: string;
  /** Compiled once and cached by the caller: statements are the hot path. */
  prepare<Row = Record<string, SqlValue>>(sql: string): SqlStatement<Row>;
  exec(sql: string): void;
  /** Runs fn inside one transaction (nested calls become savepoints); rolls back if fn throws. */
  transaction<T>(fn: () => T): T;
  pragma(statement: string): unknown;
  close(): void;
}
