#!/usr/bin/env node
// Other Node versions for the tests, from the npm registry's `node` package (it ships the binary, so nothing is
// downloaded from elsewhere): Node 24 runs code-server 4.139.1 and `runboard serve` with node:sqlite, Node 22
// `runboard serve` and `runboard copy`. Pinned by test/runtimes/node<major>/package-lock.json; installed once.
//
//   node scripts/node-runtime.mjs 24        prints the path of the node 24 binary (installing it first)
//   import { nodeRuntime } from './node-runtime.mjs'; nodeRuntime(24)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RUNTIME_MAJORS = [22, 24];

/** The folder of a pinned runtime's package (test/runtimes/node24). */
export function runtimeDir(major) {
  if (!RUNTIME_MAJORS.includes(Number(major))) throw new Error(`no pinned Node ${major}: one of ${RUNTIME_MAJORS.join(', ')}`);
  return path.join(ROOT, 'test', 'runtimes', `node${major}`);
}

/** The binary of Node `major` as pinned, installed from the npm registry when missing or stale; throws when it cannot. */
export function nodeRuntime(major) {
  const dir = runtimeDir(major);
  const bin = path.join(dir, 'node_modules', 'node', 'bin', 'node');
  const want = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies.node;
  if (versionOf(bin) === want) return bin;
  const t0 = Date.now();
  console.error(`[node-runtime] installing node ${want} from the npm registry into ${path.relative(ROOT, dir)}...`);
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`npm ci in ${dir} failed (exit ${result.status ?? result.signal})`);
  const got = versionOf(bin);
  if (got !== want) throw new Error(`${bin} is ${got ?? 'missing'} after npm ci, expected ${want}`);
  console.error(`[node-runtime] node ${want} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return bin;
}

function versionOf(bin) {
  if (!fs.existsSync(bin)) return undefined;
  const result = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().replace(/^v/, '') : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const majors = process.argv.slice(2);
  if (!majors.length) {
    console.error(`usage: node scripts/node-runtime.mjs ${RUNTIME_MAJORS.join('|')} ...`);
    process.exit(2);
  }
  try {
    for (const major of majors) console.log(nodeRuntime(major));
  } catch (error) {
    console.error(`[node-runtime] ERROR: ${error.message}`);
    process.exit(1);
  }
}
