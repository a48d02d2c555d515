// What the store asks of every SQLite driver, run once per driver (scripts/driver-matrix.mjs sets
// RUNBOARD_SQLITE_DRIVER; the plain unit run uses whatever `auto` picks here).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sqliteErrorCode, type SqlDriver } from '../../src/store/driver';
import { chooseDriver, openSqlite } from '../../src/store/drivers/open';
import { TrackingStore } from '../../src/store/tracking-store';

const choice = chooseDriver();
const dir = mkdtempSync(join(tmpdir(), `runboard-driver-${choice.name.replace(':', '-')}-`));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fileDb = (): { db: SqlDriver; file: string } => {
  const file = join(dir, `db${++files}.sqlite`);
  return { db: openSqlite(file, choice), file };
};

describe(`SQLite driver: ${choice.name}`, () => {
  it('commits a transaction, and rolls back one whose function throws', () => {
    const db = openSqlite(':memory:', choice);
    db.exec('CREATE TABLE t (v INTEGER)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    assert.equal(db.transaction(() => (insert.run(1), insert.run(2), 'done')), 'done');
    assert.throws(() => db.transaction(() => {
      insert.run(3);
      throw new Error('boom');
    }), /boom/);
    assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY v').all(), [{ v: 1 }, { v: 2 }]);
    // The connection is usable after the rollback: no transaction left open.
    db.transaction(() => insert.run(4));
    assert.equal(db.prepare('SELECT count(*) AS n FROM t').get()?.n, 3);
    db.close();
  });

  it('nests transactions as savepoints: an inner failure undoes only the inner part', () => {
    const db = openSqlite(':memory:', choice);
    db.exec('CREATE TABLE t (v INTEGER)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    db.transaction(() => {
      insert.run(1);
      assert.throws(() => db.transaction(() => {
        insert.run(2);
        db.transaction(() => insert.run(3));
        throw new Error('inner');
      }), /inner/);
      db.transaction(() => insert.run(4));
    });
    assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY v').all().map((r) => r.v), [1, 4]);
    db.close();
  });

  it('rows are plain objects; a missing row is undefined; statements iterate', () => {
    const db = openSqlite(':memory:', choice);
    db.exec("CREATE TABLE t (k TEXT, v REAL); INSERT INTO t VALUES ('a', 1.5), ('b', 2.5)");
    const row = db.prepare('SELECT k, v FROM t WHERE k = ?').get('a');
    assert.deepStrictEqual(row, { k: 'a', v: 1.5 });
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
    assert.equal(db.prepare('SELECT k FROM t WHERE k = ?').get('zzz'), undefined);
    assert.deepStrictEqual([...db.prepare('SELECT k FROM t ORDER BY k').iterate()], [{ k: 'a' }, { k: 'b' }]);
    db.close();
  });

  it('keeps integers exact up to 2^53 - 1 and gives insert ids as numbers', () => {
    const db = openSqlite(':memory:', choice);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, step INTEGER, ts INTEGER)');
    const big = Number.MAX_SAFE_INTEGER;
    const { lastInsertRowid, changes } = db.prepare('INSERT INTO t (step, ts) VALUES (?, ?)').run(big, -big);
    assert.equal(lastInsertRowid, 1);
    assert.equal(changes, 1);
    assert.deepStrictEqual(db.prepare('SELECT step, ts FROM t').get(), { step: big, ts: -big });
    // A bound integer-valued number lands as an INTEGER in an INTEGER column on every driver.
    assert.equal(db.prepare('SELECT typeof(step) AS t FROM t').get()?.t, 'integer');
    db.close();
  });

  it('stores infinities as reals; NaN binds as NULL (the store keeps an is_nan flag beside it)', () => {
    const db = openSqlite(':memory:', choice);
    db.exec('CREATE TABLE t (v REAL)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (const value of [Infinity, -Infinity, NaN, 0.1]) insert.run(value);
    assert.deepStrictEqual(db.prepare('SELECT v FROM t ORDER BY rowid').all().map((r) => r.v), [Infinity, -Infinity, null, 0.1]);
    db.close();
  });

  it('names SQLite errors the same way on every driver', () => {
    const db = openSqlite(':memory:', choice);
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
    db.prepare('INSERT INTO t VALUES (?)').run('a');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const duplicate = captureError(() => insert.run('a'));
    assert.equal(sqliteErrorCode(duplicate), 'SQLITE_CONSTRAINT');
    insert.run('b'); // the statement that failed works again at once
    assert.equal(db.prepare('SELECT count(*) AS n FROM t').get()?.n, 2);
    assert.equal(sqliteErrorCode(captureError(() => db.prepare('SELECT * FROM nowhere'))), 'SQLITE_ERROR');
    assert.equal(sqliteErrorCode(new Error('not from SQLite')), undefined);
    db.close();

    const file = join(dir, 'not-a-database.sqlite');
    writeFileSync(file, 'this is a text file, not SQLite, and long enough to hold a header: '.repeat(20));
    const notDb = captureError(() => {
      const opened = openSqlite(file, choice);
      try {
        opened.pragma('schema_version');
      } finally {
        opened.close();
      }
    });
    assert.equal(sqliteErrorCode(notDb), 'SQLITE_NOTADB', String(notDb));
  });

  it('opens a store file in WAL mode with the same busy timeout and synchronous level', () => {
    const store = TrackingStore.open(join(dir, 'store'), { driverChoice: choice });
    try {
      assert.equal(store.db.name, choice.name);
      assert.equal(firstValue(store.db.pragma('journal_mode')), 'wal');
      assert.equal(firstValue(store.db.pragma('busy_timeout')), 5000);
      assert.equal(firstValue(store.db.pragma('synchronous')), 1, 'NORMAL');
      assert.equal(firstValue(store.db.pragma('foreign_keys')), 1);
    } finally {
      store.close();
    }
  });

  it('a second connection waits for a lock rather than failing at once, where the driver shares the file', async (t) => {
    const { db, file } = fileDb();
    db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER)');
    if (!db.sharedAccess) {
      // One process per store: a second connection is refused with what holds it.
      assert.throws(() => openSqlite(file, choice), /database is locked: .* is open in this process \(the WebAssembly SQLite driver allows one process per store\)/);
      db.close();
      t.diagnostic('the WebAssembly driver keeps the file to itself (exclusive locking): the second open was refused');
      return;
    }
    db.close();
    // Another process takes the write lock for 700 ms; this one's write must wait for it, not fail.
    const holder = spawn(process.execPath, ['-e', HOLD_LOCK, file, choice.name], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (data: Buffer) => data.toString().includes('locked') && resolve());
      holder.once('exit', (code) => reject(new Error(`the lock holder exited early (${code})`)));
    });
    const writer = openSqlite(file, choice);
    const started = Date.now();
    writer.prepare('INSERT INTO t VALUES (?)').run(2);
    const waited = Date.now() - started;
    writer.close();
    await new Promise((resolve) => holder.once('exit', resolve));
    assert.ok(waited >= 300, `the write waited for the other process's lock (${waited} ms)`);
    const check = openSqlite(file, choice);
    assert.deepEqual(check.prepare('SELECT v FROM t ORDER BY v').all().map((r) => r.v), [1, 2]);
    check.close();
  });
});

/** Child process: holds a write transaction on the file for 700 ms with the same driver, then commits. */
const HOLD_LOCK = `
const [file, name] = process.argv.slice(1);
require('tsx/cjs');
const { openSqlite } = require(${JSON.stringify(join(__dirname, '../../src/store/drivers/open.ts'))});
const db = openSqlite(file, { name, preference: name, passedOver: [] });
db.exec('BEGIN IMMEDIATE');
db.prepare('INSERT INTO t VALUES (1)').run();
console.log('locked');
const until = Date.now() + 700;
while (Date.now() < until) {}
db.exec('COMMIT');
db.close();
`;

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}

function firstValue(rows: unknown): unknown {
  const [row] = rows as Record<string, unknown>[];
  return row ? Object.values(row)[0] : undefined;
}
