/**
 * The seam every SQLite access goes through. Three drivers serve it (src/store/drivers/): Node's built-in
 * node:sqlite, the better-sqlite3 native addon, and a WebAssembly SQLite, so the store runs on any host:
 * a native addon loads only in the Node ABI it was compiled for (desktop VS Code's Electron has its own).
 */
export type SqlValue = string | number | bigint | null | Uint8Array;
export type SqlParams = readonly SqlValue[];

export interface SqlStatement<Row = Record<string, SqlValue>> {
  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: SqlValue[]): Row | undefined;
  all(...params: SqlValue[]): Row[];
  iterate(...params: SqlValue[]): IterableIterator<Row>;
}

export const DRIVER_NAMES = ['node:sqlite', 'better-sqlite3', 'wasm'] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

export interface SqlDriver {
  readonly name: DriverName;
  /** Whether other processes can open the file while this driver holds it (the WebAssembly driver cannot). */
  readonly sharedAccess: boolean;
  /** Compiled once and cached by the caller: statements are the hot path. */
  prepare<Row = Record<string, SqlValue>>(sql: string): SqlStatement<Row>;
  exec(sql: string): void;
  /** Runs fn inside one transaction (nested calls become savepoints); rolls back if fn throws. */
  transaction<T>(fn: () => T): T;
  /** `PRAGMA <statement>`; returns its rows. */
  pragma(statement: string): unknown;
  close(): void;
}

/**
 * SQLite's primary result code of an error from any driver (`SQLITE_FULL`, `SQLITE_BUSY`, ...), or undefined
 * when it is not a SQLite error. better-sqlite3 names the code, node:sqlite gives its number, the WebAssembly
 * build only SQLite's message: all three end up as the same name, so callers never ask which driver ran.
 */
export function sqliteErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return primaryCodeName(code);
  if (typeof errcode === 'number') return CODE_NAMES[errcode & 0xff];
  const byMessage = MESSAGE_CODES.find(([message]) => error.message.startsWith(message))?.[1];
  // The WebAssembly build's errors carry only the message: one it does not name is SQLite's generic error.
  return byMessage ?? (error.name === 'SQLite3Error' ? 'SQLITE_ERROR' : undefined);
}

/** `SQLITE_IOERR_WRITE` -> `SQLITE_IOERR`: callers decide on the primary code. */
function primaryCodeName(code: string): string {
  return Object.values(CODE_NAMES).find((name) => code === name || code.startsWith(`${name}_`)) ?? code;
}

const CODE_NAMES: Readonly<Record<number, string>> = {
  1: 'SQLITE_ERROR',
  3: 'SQLITE_PERM',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  19: 'SQLITE_CONSTRAINT',
  26: 'SQLITE_NOTADB',
};

/** sqlite3_errstr() of the codes above: what sqlite3_errmsg() says when nothing more specific is known. */
const MESSAGE_CODES: readonly (readonly [string, string])[] = [
  ['database or disk is full', 'SQLITE_FULL'],
  ['database is locked', 'SQLITE_BUSY'],
  ['database table is locked', 'SQLITE_LOCKED'],
  ['attempt to write a readonly database', 'SQLITE_READONLY'],
  ['disk I/O error', 'SQLITE_IOERR'],
  ['database disk image is malformed', 'SQLITE_CORRUPT'],
  ['file is not a database', 'SQLITE_NOTADB'],
  ['unable to open database file', 'SQLITE_CANTOPEN'],
  ['out of memory', 'SQLITE_NOMEM'],
  ['access permission denied', 'SQLITE_PERM'],
  ['UNIQUE constraint failed', 'SQLITE_CONSTRAINT'],
  ['FOREIGN KEY constraint failed', 'SQLITE_CONSTRAINT'],
  ['NOT NULL constraint failed', 'SQLITE_CONSTRAINT'],
];
