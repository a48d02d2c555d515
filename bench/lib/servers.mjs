// Starting, measuring and stopping the servers under test, each on a fresh store in its own temp dir.
//
// - runboard: `node dist/cli.js serve --store DIR --port 0` (one process), per SQLite driver:
//   runboard (better-sqlite3 on this Node 20), runboard-node-sqlite (node:sqlite on Node 24, from
//   scripts/node-runtime.mjs), runboard-wasm (the WebAssembly driver on this Node).
// - mlflow:   `.venv/bin/mlflow server` with a SQLite backend and proxied artifacts, otherwise its own defaults
//             (uvicorn, 4 workers, the job runner it starts). Telemetry is off so no traffic leaves 127.0.0.1.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, createWriteStream, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { nodeRuntime } from '../../scripts/node-runtime.mjs';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const VENV_BIN = join(ROOT, '.venv/bin');

/** Environment for anything mlflow (server or client): no telemetry, no progress bars. */
export const MLFLOW_ENV = { MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true', MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR: 'false' };

/** Runboard per SQLite driver: the Node that runs `runboard serve`, and the driver it is told to use. */
export const RUNBOARD_VARIANTS = {
  runboard: { driver: 'better-sqlite3', node: () => process.execPath },
  'runboard-node-sqlite': { driver: 'node:sqlite', node: () => nodeRuntime(24) },
  // One process per store: bulk seeding into its file happens with the server stopped (see seed()).
  'runboard-wasm': { driver: 'wasm', node: () => process.execPath, exclusive: true },
};

/** Starts a server by name (a RUNBOARD_VARIANTS key | 'mlflow'); resolves once it answers /health. */
export function startServer(name, { startupTimeoutMs = 240_000 } = {}) {
  if (RUNBOARD_VARIANTS[name]) return startRunboard(name, startupTimeoutMs);
  if (name === 'mlflow') return startMlflow(startupTimeoutMs);
  throw new Error(`unknown server ${name}`);
}

async function startRunboard(name, startupTimeoutMs) {
  // RUNBOARD_CLI points at another build, e.g. of an older commit for a before/after comparison.
  const cli = process.env.RUNBOARD_CLI ?? join(ROOT, 'dist/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  const variant = RUNBOARD_VARIANTS[name];
  const node = variant.node();
  const dir = mkdtempSync(join(tmpdir(), 'bench-runboard-'));
  const log = createWriteStream(join(dir, 'server.log'));
  const launch = async (port) => {
    const child = spawn(node, [cli, 'serve', '--store', join(dir, 'store'), '--port', String(port), '--driver', variant.driver], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stderr.pipe(log, { end: false });
    const url = await withTimeout(
      new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`runboard serve exited with ${code}; log in ${dir}/server.log`)));
        createInterface({ input: child.stdout }).once('line', (line) => {
          const match = /^Runboard tracking server listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
          if (match) resolve(match[1]);
          else reject(new Error(`unexpected first line from runboard serve: ${line}`));
        });
      }),
      startupTimeoutMs,
      'runboard serve did not start',
    );
    child.stdout.resume();
    return { child, url };
  };
  const started = performance.now();
  const { child, url } = await launch(0);
  const server = handle({ name, child, dir, url, store: { kind: 'runboard', file: join(dir, 'store/runboard.db') }, startupMs: performance.now() - started, log });
  server.driver = variant.driver;
  server.node = node === process.execPath ? process.version : `v${nodeVersion(node)}`;
  if (variant.exclusive) {
    // Stop, seed the file, start again on the same port: the client's URL stays valid.
    server.seed = async (fill) => {
      await server.pause();
      fill();
      server.resume(await launch(Number(new URL(url).port)));
    };
  }
  return server;
}

function nodeVersion(node) {
  return execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
}

async function startMlflow(startupTimeoutMs) {
  const mlflow = join(VENV_BIN, 'mlflow');
  if (!existsSync(mlflow)) throw new Error('.venv/bin/mlflow is missing: run `node scripts/python-env.mjs` first');
  const dir = mkdtempSync(join(tmpdir(), 'bench-mlflow-'));
  const port = await freePort();
  const db = join(dir, 'mlflow.db');
  const args = ['server', '--backend-store-uri', `sqlite:///${db}`, '--default-artifact-root', 'mlflow-artifacts:/'];
  args.push('--artifacts-destination', join(dir, 'artifacts'), '--host', '127.0.0.1', '--port', String(port));
  const started = performance.now();
  const child = spawn(mlflow, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...MLFLOW_ENV } });
  const log = createWriteStream(join(dir, 'server.log'));
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`mlflow server exited with ${code}; log in ${dir}/server.log`))));
  exited.catch(() => {});
  const deadline = Date.now() + startupTimeoutMs;
  for (;;) {
    if (Date.now() > deadline) {
      killGroup(child);
      throw new Error(`mlflow server did not answer /health within ${startupTimeoutMs} ms; log in ${dir}/server.log`);
    }
    const ok = await Promise.race([health(url), exited]);
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return handle({ name: 'mlflow', child, dir, url, store: { kind: 'mlflow', file: db }, startupMs: performance.now() - started, log });
}

function handle({ name, child, dir, url, store, startupMs, log }) {
  let stopped = false;
  const stopChild = async () => {
    const exit = new Promise((resolve) => child.once('exit', resolve));
    killGroup(child, 'SIGTERM');
    // mlflow's graceful shutdown can take 20 s; nothing of the store is needed afterwards.
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3_000);
    await exit;
    clearTimeout(timer);
    // The group may outlive its leader (mlflow's workers): make sure nothing of it is left.
    killGroup(child, 'SIGKILL');
  };
  const onExit = () => {
    killGroup(child);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  return {
    name,
    url,
    dir,
    store,
    get pid() {
      return child.pid;
    },
    startupMs,
    async version() {
      const response = await fetch(`${url}/version`);
      return (await response.text()).trim();
    },
    /** RSS of the server's whole process tree, and of each process (MB). */
    rss: () => treeMemory(child.pid),
    /** Bulk seeding straight into the server's SQLite file (lib/seed.mjs), which it shares while serving. */
    async seed(fill) {
      fill();
    },
    /** Stops the process but keeps its store, for a server that cannot share the file while it serves. */
    pause: stopChild,
    resume(next) {
      child = next.child;
    },
    async stop({ keep = false } = {}) {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      await stopChild();
      log.end();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Signals the process group we started (the child was spawned detached, so it leads its own group). */
function killGroup(child, signal = 'SIGTERM') {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function health(url) {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/** Resident and proportional set sizes (MB) of `pid` and all its descendants, read from /proc (Linux). */
export function treeMemory(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  const processes = [];
  const visit = (p) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
      let pss = 0;
      try {
        pss = Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      } catch {
        // smaps_rollup needs a recent kernel
      }
      const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').trim();
      processes.push({ pid: p, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024, pssMb: pss / 1024, cmd: cmdline.slice(0, 120) });
    } catch {
      return;
    }
    for (const child of children.get(p) ?? []) visit(child);
  };
  visit(pid);
  const sum = (field) => processes.reduce((total, p) => total + p[field], 0);
  return { rssMb: sum('rssMb'), pssMb: sum('pssMb'), hwmMb: sum('hwmMb'), processes };
}
