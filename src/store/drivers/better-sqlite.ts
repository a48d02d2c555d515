import type BetterSqlite3 from 'better-sqlite3';
import type { SqlDriver, SqlStatement } from '../driver';

/**
 * The native driver: better-sqlite3 12 (13 needs Node 22). Its compiled module loads only in the Node ABI it
 * was built for, so it is required when chosen, never at import: a host where it cannot load still has the
 * other drivers.
 */
export function openBetterSqlite(file: string): SqlDriver {
  const Database = loadBetterSqlite();
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  return {
    name: 'better-sqlite3',
    sharedAccess: true,
    prepare: <Row>(sql: string) => db.prepare(sql) as unknown as SqlStatement<Row>,
    exec: (sql) => void db.exec(sql),
    transaction: (fn) => db.transaction(fn)(),
    pragma: (statement) => db.pragma(statement),
    close: () => db.close(),
  };
}

/** Throws the loader's own error (wrong NODE_MODULE_VERSION, missing build) when the addon cannot load here. */
export function loadBetterSqlite(): typeof BetterSqlite3 {
  // A plain require, kept out of the bundle (scripts/build.mjs marks it external): the addon sits in node_modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('better-sqlite3') as typeof BetterSqlite3;
}

/** How long a statement waits for another connection's lock before SQLITE_BUSY, on every driver. */
export const BUSY_TIMEOUT_MS = 5000;
