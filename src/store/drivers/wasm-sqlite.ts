import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Database as WasmDatabase, Statement as WasmStatement } from 'node-sqlite3-wasm';
import type { SqlDriver, SqlStatement, SqlValue } from '../driver';
import { isProcessAlive } from '../process-alive';
import { BUSY_TIMEOUT_MS } from './better-sqlite';
import { transactions } from './transactions';

/**
 * SQLite compiled to WebAssembly (node-sqlite3-wasm), writing the real file through Node's fs: no ABI, so it
 * runs wherever JavaScript does, including a desktop VS Code whose Electron has neither node:sqlite nor the
 * ABI our better-sqlite3 build was made for.
 *
 * Its file system layer has no shared memory and locks with a `<file>.lock` folder rather than POSIX locks, so:
 * - the database is held in EXCLUSIVE locking mode for the connection's life, which lets WAL work (the WAL
 *   index lives in this process's memory) and keeps every other connection out: one process per store;
 * - a process killed while holding it leaves the lock folder behind; `<file>.lock-owner` names the holder's pid,
 *   so the next open takes over a dead holder's lock instead of reporting the store busy forever;
 * - tools that use POSIX locks (the sqlite3 shell, another driver) do not see that lock: the store's own
 *   one-writer lock keeps other Runboard processes out, and the README says not to open the file meanwhile.
 */
export function openWasmSqlite(file: string): SqlDriver {
  const { Database } = loadWasmSqlite();
  const onDisk = file !== ':memory:';
  if (onDisk) takeOverDeadHolder(file);
  const db = new Database(file);
  const cache = new StatementCache(db);
  try {
    db.exec(`PRAGMA locking_mode = EXCLUSIVE; PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // The first read takes the lock, which then stays: name ourselves its holder at once.
    db.all('PRAGMA schema_version');
    if (onDisk) writeFileSync(ownerFile(file), String(process.pid));
  } catch (error) {
    cache.finalizeAll();
    db.close();
    throw onDisk && /database is locked/.test(String((error as Error).message)) ? heldElsewhere(file) : error;
  }
  return {
    name: 'wasm',
    sharedAccess: false,
    prepare: <Row>(sql: string) => cache.statement(sql) as unknown as SqlStatement<Row>,
    exec: (sql) => db.exec(sql),
    transaction: transactions({ run: (sql) => void cache.statement(sql).run(), inTransaction: () => db.inTransaction }),
    pragma: (statement) => db.all(`PRAGMA ${statement}`),
    close: () => {
      cache.finalizeAll();
      db.close();
      if (onDisk) rmSync(ownerFile(file), { force: true });
    },
  };
}

type WasmModule = typeof import('node-sqlite3-wasm');

/** Compiles the WebAssembly module on first use only (about 1.3 MB): hosts with a native driver never pay for it. */
export function loadWasmSqlite(): WasmModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node-sqlite3-wasm') as WasmModule;
}

/**
 * node-sqlite3-wasm statements hold WebAssembly memory until finalized, but the store prepares a statement per
 * distinct search it runs. So the seam's statements are handles onto a bounded cache of compiled statements by
 * SQL text (re-prepared if evicted), all finalized on close. Every call runs to completion before the next one,
 * so handles of the same text can share one compiled statement; an iteration gets a statement of its own.
 */
class StatementCache {
  private readonly compiled = new Map<string, WasmStatement>();

  constructor(private readonly db: WasmDatabase) {}

  statement(sql: string): SqlStatement {
    this.native(sql); // SQL errors show at prepare time, as on the other drivers
    return {
      run: (...params: SqlValue[]) => this.use(sql, (statement) => statement.run(params)),
      get: (...params: SqlValue[]) => this.use(sql, (statement) => (statement.get(params) as Record<string, SqlValue> | null) ?? undefined, true),
      all: (...params: SqlValue[]) => this.use(sql, (statement) => statement.all(params) as Record<string, SqlValue>[]),
      iterate: (...params: SqlValue[]) => this.iterate(sql, params),
    };
  }

  /**
   * One call on the compiled statement, which is left reset as better-sqlite3 and node:sqlite leave theirs:
   * - after get(): node-sqlite3-wasm stops mid-step, and a statement left active holds its tables (a later DROP or
   *   ALTER in the same connection fails with "database table is locked");
   * - after a failure (a constraint, a full disk): sqlite3_reset reports the last error once more, which
   *   node-sqlite3-wasm would throw at the statement's next use as "Could not reset statement".
   */
  private use<T>(sql: string, call: (statement: WasmStatement) => T, resetAfter = false): T {
    const statement = this.native(sql);
    let failed = true;
    try {
      const result = call(statement);
      failed = false;
      return result;
    } finally {
      if (failed || resetAfter) (statement as unknown as { _reset?: () => boolean })._reset?.();
    }
  }

  native(sql: string): WasmStatement {
    let statement = this.compiled.get(sql);
    if (statement) {
      this.compiled.delete(sql); // Map order is the LRU order: move to the newest end
    } else {
      statement = this.db.prepare(sql);
      if (this.compiled.size >= STATEMENT_CACHE_SIZE) this.evictOldest();
    }
    this.compiled.set(sql, statement);
    return statement;
  }

  finalizeAll(): void {
    for (const statement of this.compiled.values()) finalize(statement);
    this.compiled.clear();
  }

  private evictOldest(): void {
    const oldest = this.compiled.entries().next().value;
    if (!oldest) return;
    this.compiled.delete(oldest[0]);
    finalize(oldest[1]);
  }

  private *iterate(sql: string, params: SqlValue[]): IterableIterator<Record<string, SqlValue>> {
    const statement = this.db.prepare(sql);
    try {
      yield* statement.iterate(params) as IterableIterator<Record<string, SqlValue>>;
    } finally {
      finalize(statement);
    }
  }
}

/**
 * sqlite3_finalize frees the statement in every case, but returns (and node-sqlite3-wasm throws) the error of
 * its last run, which its caller has already seen: only freeing matters here.
 */
function finalize(statement: WasmStatement): void {
  try {
    statement.finalize();
  } catch {
    // freed regardless
  }
}

/** Statements per connection: the store's fixed ones plus the searches and pages most recently run. */
const STATEMENT_CACHE_SIZE = 256;

const lockFolder = (file: string) => `${file}.lock`;
const ownerFile = (file: string) => `${file}.lock-owner`;

/** A lock folder whose holder died (killed, crashed) is removed; a live holder's is left, and the open fails. */
function takeOverDeadHolder(file: string): void {
  let lockedAt: number;
  try {
    lockedAt = statSync(lockFolder(file)).mtimeMs;
  } catch {
    return; // not locked
  }
  const owner = readOwner(file);
  const dead = owner === undefined ? Date.now() - lockedAt > UNNAMED_LOCK_GRACE_MS : !isProcessAlive(owner);
  if (!dead) throw heldElsewhere(file, owner);
  rmSync(lockFolder(file), { recursive: true, force: true });
  rmSync(ownerFile(file), { force: true });
}

/** A lock folder nobody has named yet is being taken right now, unless it has been there this long. */
const UNNAMED_LOCK_GRACE_MS = 10_000;

function readOwner(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(ownerFile(file), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function heldElsewhere(file: string, owner = readOwner(file)): Error {
  const who = owner === undefined ? 'another process' : owner === process.pid ? 'this process' : `process ${owner}`;
  return Object.assign(new Error(`database is locked: ${file} is open in ${who} (the WebAssembly SQLite driver allows one process per store).`), {
    code: 'SQLITE_BUSY',
  });
}
