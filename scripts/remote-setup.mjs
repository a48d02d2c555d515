#!/usr/bin/env node
// Makes what the remote-server tests (test/remote, test/e2e/remote.test.mjs) need: Debian's PostgreSQL server
// binaries (initdb, postgres, psql) and the .venv with the pinned mlflow plus its PostgreSQL driver (psycopg 3)
// and basic-auth dependency (Flask-WTF), both in test/python/requirements.txt. Idempotent: a second run only
// checks, in well under a second. With --check it also starts a private PostgreSQL cluster and stops it.
//
//   node scripts/remote-setup.mjs [--check]     (env: RUNBOARD_PG_BIN = a folder with initdb, postgres and psql)
//
// The clusters themselves are made per test run by test/remote/servers.mjs (initdb into a tmp dir, loopback only,
// trust auth, run as the `postgres` user when we are root: PostgreSQL refuses to run as root).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPostgresBin, startPostgres } from '../test/remote/servers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function die(message) {
  console.error(`\n[remote-setup] ERROR: ${message}\n`);
  process.exit(1);
}

function ensurePostgres() {
  const found = findPostgresBin();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    die('PostgreSQL server binaries (initdb, postgres, psql) are missing. Install them, e.g. on Debian/Ubuntu:\n' +
      '  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql\n' +
      'or point RUNBOARD_PG_BIN at a folder that has them.');
  }
  console.log('[remote-setup] installing Debian\'s postgresql...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'postgresql']]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (result.status !== 0) die(`apt-get ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
  // Debian's package starts a system cluster on 5432; the tests never use it (they run their own).
  const bin = findPostgresBin();
  if (!bin) die('apt-get installed postgresql but no /usr/lib/postgresql/<major>/bin/initdb was found.');
  return bin;
}

function ensureVenv() {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'python-env.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) die('scripts/python-env.mjs failed (see above).');
}

async function check() {
  const t0 = Date.now();
  const pg = await startPostgres();
  try {
    await pg.createDatabase('runboard_check');
    console.log(`[remote-setup] PostgreSQL cluster answered on 127.0.0.1:${pg.port} (${Date.now() - t0} ms incl. initdb)`);
  } finally {
    await pg.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  const bin = ensurePostgres();
  ensureVenv();
  if (process.argv.includes('--check')) await check();
  console.log(`[remote-setup] ready: PostgreSQL in ${bin}, mlflow in .venv (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
}
