import type { SqlDriver, SqlStatement, SqlValue } from '../driver';
import { BUSY_TIMEOUT_MS } from './better-sqlite';
import { transactions } from './transactions';

/** The part of node:sqlite (Node >= 22.13 and 24 without a flag) the store uses; @types/node 20 has none of it. */
interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { open?: boolean; readOnly?: boolean }) => NodeSqliteDatabase;
}
interface NodeSqliteDatabase {
  prepare(sql: string): NodeSqliteStatement;
  exec(sql: string): void;
  close(): void;
  /** Node >= 22.16 and 24; undefined before (the transaction helper copes). */
  readonly isTransaction?: boolean;
}
interface NodeSqliteStatement {
  run(...params: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
  iterate(...params: SqlValue[]): IterableIterator<unknown>;
}

/**
 * Node's built-in SQLite. No ABI to match: it is part of the runtime, so it serves current code-server and
 * remote hosts (Node 22/24) and desktop VS Code builds whose Electron ships it.
 */
export function openNodeSqlite(file: string): SqlDriver {
  const { DatabaseSync } = loadNodeSqlite();
  const db = new DatabaseSync(file);
  const statements = new Map<string, NodeSqliteStatement>();
  const run = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    statement.run();
  };
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return {
    name: 'node:sqlite',
    sharedAccess: true,
    prepare: <Row>(sql: string) => plainRows(db.prepare(sql)) as unknown as SqlStatement<Row>,
    exec: (sql) => db.exec(sql),
    transaction: transactions({ run, inTransaction: () => db.isTransaction }),
    pragma: (statement) => db.prepare(`PRAGMA ${statement}`).all(),
    close: () => db.close(),
  };
}

/**
 * node:sqlite's rows have no prototype; the store hands some of them on as entities (tags, params), and what
 * a caller gets must not depend on the driver, so rows are copied into plain objects (a few tens of ns each).
 */
function plainRows(statement: NodeSqliteStatement): SqlStatement {
  const plain = (row: unknown) => (row === undefined ? undefined : { ...(row as Record<string, SqlValue>) });
  return {
    run: (...params) => statement.run(...params) as { changes: number; lastInsertRowid: number | bigint },
    get: (...params) => plain(statement.get(...params)),
    all: (...params) => statement.all(...params).map((row) => plain(row)!),
    iterate: function* (...params) {
      for (const row of statement.iterate(...params)) yield plain(row)!;
    },
  };
}

/**
 * node:sqlite, or the runtime's reason it has none (Node 20; Node 22 before 22.13 without
 * --experimental-sqlite; an Electron built without it). Node 22 warns that SQLite is experimental when the
 * module loads: that warning is for developers trying the API, not for our users, so it is not printed.
 */
export function loadNodeSqlite(): NodeSqliteModule {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (isSqliteExperimentalWarning(warning, rest[0])) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node:sqlite') as NodeSqliteModule;
  } finally {
    process.emitWarning = emitWarning;
  }
}

function isSqliteExperimentalWarning(warning: string | Error, typeOrOptions: unknown): boolean {
  const type = typeof typeOrOptions === 'string' ? typeOrOptions : (typeOrOptions as { type?: string } | undefined)?.type;
  const name = type ?? (warning instanceof Error ? warning.name : undefined);
  const text = typeof warning === 'string' ? warning : warning.message;
  return name === 'ExperimentalWarning' && /sqlite/i.test(text);
}
