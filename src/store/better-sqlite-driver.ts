import Database from 'better-sqlite3';
import type { SqlDriver, SqlStatement } from './driver';

/** The native driver: better-sqlite3 12 (13 needs Node 22). */
export function openBetterSqlite(file: string): SqlDriver {
  const db = new Database(file, { timeout: 5000 });
  return {
    name: 'better-sqlite3',
    prepare: <Row>(sql: string) => db.prepare(sql) as unknown as SqlStatement<Row>,
    exec: (sql) => void db.exec(sql),
    transaction: (fn) => db.transaction(fn)(),
    pragma: (statement) => db.pragma(statement),
    close: () => db.close(),
  };
}
