#!/usr/bin/env node
// Runs the store, search and server suites once more per SQLite driver that `auto` does not pick on this Node:
// the plain `npm run test:unit` / `test:integration` runs cover better-sqlite3 (Node 20); this covers the
// WebAssembly driver (Node 20, forced) and node:sqlite (Node 24, from scripts/node-runtime.mjs). The same tests,
// not copies: RUNBOARD_SQLITE_DRIVER reaches every store the suites open, in process, in the server worker and
// in `runboard serve`.
//
//   node scripts/driver-matrix.mjs unit      the unit suites that touch SQLite
//   node scripts/driver-matrix.mjs pytest    the real mlflow client's suite against `runboard serve`
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeRuntime } from './node-runtime.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The unit files whose subject is the store, its search grammar or the server over it. */
const SQLITE_SUITES = [
  'sqlite-driver',
  'tracking-store',
  'registry',
  'search',
  'search-runs',
  'search-experiments',
  'artifacts',
  'server-worker',
  'client',
].map((name) => `test/unit/${name}.test.ts`);

const LEGS = [
  { driver: 'wasm', node: () => process.execPath },
  { driver: 'node:sqlite', node: () => nodeRuntime(24) },
];

const suite = process.argv[2];
if (suite !== 'unit' && suite !== 'pytest') {
  console.error('usage: node scripts/driver-matrix.mjs unit|pytest');
  process.exit(2);
}

for (const leg of LEGS) {
  const node = leg.node();
  const env = { ...process.env, RUNBOARD_SQLITE_DRIVER: leg.driver };
  const [command, args] =
    suite === 'unit'
      ? [node, ['--import', 'tsx', '--test', ...SQLITE_SUITES]]
      : [path.join(ROOT, '.venv', 'bin', 'python'), ['-m', 'pytest', '-q', 'test/python']];
  if (suite === 'pytest') env.RUNBOARD_NODE = node;
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n[driver-matrix] ${suite} suites with the ${leg.driver} driver on Node ${version}`);
  const t0 = Date.now();
  const result = spawnSync(command, args, { cwd: ROOT, env, stdio: 'inherit' });
  console.log(`[driver-matrix] ${leg.driver}: ${result.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (result.status !== 0) process.exit(result.status ?? 1);
}
