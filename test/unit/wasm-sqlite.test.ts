// What only the WebAssembly driver needs: its statement cache and its lock folder, which a killed process leaves.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openWasmSqlite } from '../../src/store/drivers/wasm-sqlite';

const dir = mkdtempSync(join(tmpdir(), 'runboard-wasm-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `db${++files}.sqlite`);

describe('WebAssembly SQLite driver', () => {
  it('a statement read with get() holds no table: the same connection can drop and alter at once', () => {
    const db = openWasmSqlite(':memory:');
    db.exec('CREATE TABLE t (v INTEGER); CREATE INDEX t_v ON t (v); INSERT INTO t VALUES (1), (2), (3)');
    assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY v').get(), { v: 1 });
    db.exec('DROP INDEX t_v; ALTER TABLE t ADD COLUMN w INTEGER');
    db.close();
  });

  it('keeps a bounded cache of compiled statements and re-prepares what it evicted', () => {
    const db = openWasmSqlite(':memory:');
    db.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7)');
    const first = db.prepare('SELECT v FROM t WHERE v = ?');
    // More distinct statements than the cache holds (a search per filter does this), each used once.
    for (let i = 0; i < 600; i++) assert.equal(db.prepare(`SELECT v + ${i} AS w FROM t`).get()?.w, 7 + i);
    assert.deepEqual(first.get(7), { v: 7 }, 'the first handle still works after its statement was evicted');
    db.close();
  });

  it('writes the file in WAL mode, holds it exclusively, and leaves no lock behind after close', () => {
    const file = newFile();
    const db = openWasmSqlite(file);
    assert.deepEqual(db.pragma('journal_mode = WAL'), [{ journal_mode: 'wal' }]);
    db.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)');
    assert.ok(existsSync(`${file}.lock`), 'held while open');
    db.close();
    assert.equal(existsSync(`${file}.lock`), false);
    assert.equal(existsSync(`${file}.lock-owner`), false);
    const again = openWasmSqlite(file);
    assert.deepEqual(again.prepare('SELECT v FROM t').all(), [{ v: 1 }]);
    again.close();
  });

  it('takes over the lock of a holder that died, and refuses one that lives', async () => {
    const file = newFile();
    openWasmSqlite(file).close();

    // A process killed while it held the store: its lock folder stays, naming a pid that is gone.
    const dead = await exitedPid();
    mkdirSync(`${file}.lock`);
    writeFileSync(`${file}.lock-owner`, String(dead));
    const db = openWasmSqlite(file);
    db.close();

    // A live holder (another process): refused, with its pid.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      mkdirSync(`${file}.lock`);
      writeFileSync(`${file}.lock-owner`, String(sleeper.pid));
      assert.throws(() => openWasmSqlite(file), new RegExp(`database is locked: .* is open in process ${sleeper.pid} \\(the WebAssembly SQLite driver allows one process per store\\)`));
    } finally {
      sleeper.kill('SIGKILL');
      rmSync(`${file}.lock`, { recursive: true, force: true });
      rmSync(`${file}.lock-owner`, { force: true });
    }

    // A lock folder nobody has named: someone is taking it right now, unless it is old.
    mkdirSync(`${file}.lock`);
    assert.throws(() => openWasmSqlite(file), /database is locked: .* is open in another process/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    openWasmSqlite(file).close();
  });
});

/** The pid of a process that has exited (so no live process has it, for a while at least). */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}
