// Real remote tracking servers for the tests, on loopback, each with its own tmp dir, stopped and removed by
// stop() (and killed when this process exits):
//   - startPostgres(): a private PostgreSQL cluster (Debian's binaries; run as the `postgres` user when root);
//   - startMlflowServer(): the pinned `mlflow server` (.venv) on a PostgreSQL database with proxied artifacts
//     (--serve-artifacts), optionally with MLflow's basic-auth app (its own sqlite user db and admin password);
//   - startRunboardServe(): `node dist/cli.js serve` with a bearer token.
// Each server is { name, url, credentials, env, stop() }: `credentials` as src/client takes them, `env` what
// a script needs to log into it (MLFLOW_TRACKING_URI + MLFLOW_TRACKING_TOKEN or _USERNAME/_PASSWORD).
// startRemoteServers() starts the three at once. Needs `node scripts/remote-setup.mjs` and `npm run build`.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const MLFLOW = path.join(REPO_ROOT, '.venv', 'bin', 'mlflow');
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
/** PostgreSQL refuses to run as root: as root the cluster belongs to (and runs as) this user. */
const PG_USER = 'postgres';
const STARTUP_TIMEOUT_MS = 90_000;

/** Client settings every Python script gets: quiet, no retries for minutes on a 5xx, no telemetry. */
export const PYTHON_ENV = {
  MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
  MLFLOW_HTTP_REQUEST_TIMEOUT: '60',
  MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR: 'false',
  MLFLOW_DISABLE_TELEMETRY: 'true',
  DO_NOT_TRACK: 'true',
  PYTHONUNBUFFERED: '1',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Everything started here, killed if the test process exits without stopping it.
const running = new Set();
process.once('exit', () => {
  for (const kill of running) kill();
});

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `runboard-${prefix}-`));
}

/** Runs as the cluster's owner: `runuser -u postgres --` when root, else as we are. */
function asPgUser(command, args) {
  return IS_ROOT ? ['runuser', ['-u', PG_USER, '--', command, ...args]] : [command, args];
}

/** Starts a detached process (its own group) with output to `logFile`; returns { proc, kill(), exited }. */
function launch(command, args, { env, logFile, cwd, stopSignal = 'SIGTERM' }) {
  const out = fs.openSync(logFile, 'a');
  const proc = spawn(command, args, { cwd, env, stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  const killGroup = (signal) => {
    try {
      process.kill(-proc.pid, signal);
    } catch {
      // gone
    }
  };
  const kill = () => killGroup('SIGKILL');
  running.add(kill);
  return {
    proc,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        killGroup(stopSignal);
        await Promise.race([exited, sleep(10_000)]);
      }
      killGroup('SIGKILL'); // uvicorn's workers and anything else left in the group
      running.delete(kill);
    },
  };
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls GET url until it answers 200, the process exits (error with its log tail) or the timeout. */
async function waitForHttp(url, { launched, logFile, what }) {
  const t0 = Date.now();
  let exitedWith;
  void launched.exited.then((code) => (exitedWith = code ?? 'signal'));
  while (Date.now() - t0 < STARTUP_TIMEOUT_MS) {
    if (exitedWith !== undefined) throw new Error(`${what} exited (${exitedWith}) before answering ${url}:\n${tail(logFile)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return Date.now() - t0;
    } catch {
      // not yet
    }
    await sleep(250);
  }
  await launched.stop();
  throw new Error(`${what} did not answer ${url} within ${STARTUP_TIMEOUT_MS / 1000} s:\n${tail(logFile)}`);
}

// ---------------------------------------------------------------- PostgreSQL

/** The folder holding initdb, postgres and psql: $RUNBOARD_PG_BIN, else the newest /usr/lib/postgresql/<major>/bin. */
export function findPostgresBin() {
  const candidates = [];
  if (process.env.RUNBOARD_PG_BIN) candidates.push(process.env.RUNBOARD_PG_BIN);
  try {
    const majors = fs.readdirSync('/usr/lib/postgresql').filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((major) => path.join('/usr/lib/postgresql', major, 'bin')));
  } catch {
    // not installed
  }
  return candidates.find((dir) => ['initdb', 'postgres', 'psql'].every((tool) => fs.existsSync(path.join(dir, tool))));
}


/**
 * A private cluster: initdb into a tmp dir (trust auth, superuser `mlflow`), postgres on a free loopback port
 * with its socket in the data dir. Returns { port, dir, user, createDatabase(name), uri(database), stop() }.
 */
export async function startPostgres({ dir = tmpDir('pg') } = {}) {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed: run `node scripts/remote-setup.mjs`.');
  if (IS_ROOT) execFileSync('chown', [PG_USER, dir]);
  const data = path.join(dir, 'data');
  const user = 'mlflow';
  const [initCmd, initArgs] = asPgUser(path.join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed (exit ${init.status ?? init.signal}):\n${init.stdout}\n${init.stderr}`);
  const port = await freePort();
  const logFile = path.join(dir, 'postgres.log');
  fs.writeFileSync(logFile, '');
  if (IS_ROOT) execFileSync('chown', [PG_USER, logFile]);
  // Loopback TCP only, socket in the data dir (not /var/run/postgresql), no fsync: a throwaway test database.
  const [cmd, args] = asPgUser(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', data, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']);
  const launched = launch(cmd, args, { env: process.env, logFile, stopSignal: 'SIGINT' }); // SIGINT: fast shutdown
  const t0 = Date.now();
  const psql = path.join(bin, 'psql');
  const query = (database, sql) => spawnSync(psql, ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' });
  for (;;) {
    if (query('postgres', 'select 1').status === 0) break;
    if (launched.proc.exitCode !== null) throw new Error(`postgres exited (${launched.proc.exitCode}):\n${tail(logFile)}`);
    if (Date.now() - t0 > 30_000) {
      await launched.stop();
      throw new Error(`postgres did not accept connections within 30 s:\n${tail(logFile)}`);
    }
    await sleep(100);
  }
  return {
    port,
    dir,
    user,
    logFile,
    uri: (database) => `postgresql://${user}@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      const result = query('postgres', `create database "${name}"`);
      if (result.status !== 0) throw new Error(`create database ${name} failed: ${result.stderr}`);
    },
    async stop() {
      await launched.stop();
      if (!process.env.RUNBOARD_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- mlflow server

/**
 * The pinned `mlflow server` on `backendStoreUri` with --serve-artifacts into a tmp folder. With `basicAuth`
 * ({ username, password }) it runs MLflow's basic-auth app: its user db is a tmp sqlite file and the admin is
 * created on first start from MLFLOW_AUTH_ADMIN_USERNAME/PASSWORD (MLflow ships no default password).
 * `mlflow` is the executable (another venv's, e.g. .venv-mlflow2/bin/mlflow), `extraEnv` is added to its env
 * (e.g. MLFLOW_ALLOW_FILE_STORE=true to serve an `mlruns/` file store with mlflow 3).
 */
export async function startMlflowServer({ name = 'mlflow', backendStoreUri, basicAuth, workers = 1, mlflow = MLFLOW, extraEnv = {} } = {}) {
  if (!fs.existsSync(mlflow)) throw new Error(`${mlflow} is missing: run \`node scripts/remote-setup.mjs\`.`);
  const dir = tmpDir(name);
  const artifacts = path.join(dir, 'artifacts');
  fs.mkdirSync(artifacts);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'server.log');
  const env = { ...process.env, ...PYTHON_ENV };
  for (const key of Object.keys(env)) if (key.startsWith('MLFLOW_TRACKING_') || key.startsWith('MLFLOW_AUTH_')) delete env[key];
  Object.assign(env, extraEnv);
  const args = ['server', '--backend-store-uri', backendStoreUri, '--serve-artifacts', '--artifacts-destination', artifacts, '--host', '127.0.0.1', '--port', String(port), '--workers', String(workers)];
  if (basicAuth) {
    const ini = path.join(dir, 'basic_auth.ini');
    fs.writeFileSync(ini, [
      '[mlflow]',
      'default_permission = READ',
      `database_uri = sqlite:///${path.join(dir, 'basic_auth.db')}`,
      'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
      // A checked password is cached for a minute: without it every request pays a PBKDF2 hash (~0.3 s here).
      'auth_cache_ttl_seconds = 60',
      '',
    ].join('\n'));
    Object.assign(env, {
      MLFLOW_AUTH_CONFIG_PATH: ini,
      MLFLOW_AUTH_ADMIN_USERNAME: basicAuth.username,
      MLFLOW_AUTH_ADMIN_PASSWORD: basicAuth.password,
      MLFLOW_FLASK_SERVER_SECRET_KEY: randomBytes(16).toString('hex'), // CSRF protection of the auth app's forms
    });
    args.splice(1, 0, '--app-name', 'basic-auth');
  }
  const launched = launch(mlflow, args, { env, logFile, cwd: dir });
  const startedInMs = await waitForHttp(`${url}/health`, { launched, logFile, what: `mlflow server (${name})` });
  const credentials = basicAuth ? { kind: 'basic', username: basicAuth.username, password: basicAuth.password } : { kind: 'none' };
  return serverHandle({ name, url, credentials, startedInMs, logFile, dir, launched });
}

// ---------------------------------------------------------------- runboard serve

/** `node dist/cli.js serve` on a tmp store with a random bearer token. */
export async function startRunboardServe({ name = 'runboard' } = {}) {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\`.`);
  const dir = tmpDir(name);
  const store = path.join(dir, 'store');
  const token = randomBytes(16).toString('hex');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'server.log');
  const launched = launch(process.execPath, [CLI, 'serve', '--store', store, '--host', '127.0.0.1', '--port', String(port), '--token', token], { env: process.env, logFile, cwd: dir });
  const startedInMs = await waitForHttp(`${url}/health`, { launched, logFile, what: 'runboard serve' });
  return serverHandle({ name, url, credentials: { kind: 'bearer', token }, startedInMs, logFile, dir, launched });
}

/** What a test gets of a started server: where it is, how to log into it, and how to stop it (tmp dir removed). */
function serverHandle({ name, url, credentials, startedInMs, logFile, dir, launched }) {
  return {
    name,
    url,
    credentials,
    env: trackingEnv(url, credentials),
    startedInMs,
    logFile,
    dir,
    async stop() {
      await launched.stop();
      if (!process.env.RUNBOARD_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- all three

export const ADMIN = { username: 'admin', password: 'runboard-admin-pw-1' };

/**
 * The three remote backends the tests run against: `mlflow-postgres` (no auth), `mlflow-basic-auth` (both on
 * one private PostgreSQL cluster, a database each) and `runboard-serve`. `only` picks some of them.
 * Returns { servers: [...], byName, postgres, stop() }.
 */
export async function startRemoteServers({ only } = {}) {
  const want = (name) => !only || only.includes(name);
  const started = [];
  let postgres;
  const stop = async () => {
    await Promise.allSettled(started.map((server) => server.stop()));
    if (postgres) await postgres.stop();
  };
  try {
    const tasks = [];
    if (want('mlflow-postgres') || want('mlflow-basic-auth')) {
      postgres = await startPostgres();
      if (want('mlflow-postgres')) {
        await postgres.createDatabase('tracking');
        tasks.push(startMlflowServer({ name: 'mlflow-postgres', backendStoreUri: postgres.uri('tracking') }));
      }
      if (want('mlflow-basic-auth')) {
        await postgres.createDatabase('tracking_auth');
        tasks.push(startMlflowServer({ name: 'mlflow-basic-auth', backendStoreUri: postgres.uri('tracking_auth'), basicAuth: ADMIN }));
      }
    }
    if (want('runboard-serve')) tasks.push(startRunboardServe({ name: 'runboard-serve' }));
    const results = await Promise.allSettled(tasks);
    for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await stop();
    throw error;
  }
  return { servers: started, byName: Object.fromEntries(started.map((server) => [server.name, server])), postgres, stop };
}

/** The environment a script needs to log into `url` with `credentials`. */
export function trackingEnv(url, credentials) {
  const env = { MLFLOW_TRACKING_URI: url };
  if (credentials.kind === 'bearer') env.MLFLOW_TRACKING_TOKEN = credentials.token;
  if (credentials.kind === 'basic') Object.assign(env, { MLFLOW_TRACKING_USERNAME: credentials.username, MLFLOW_TRACKING_PASSWORD: credentials.password });
  return env;
}

/**
 * Runs a Python script of the .venv against a server (its `env`); resolves with its stdout, rejects with its
 * output on a non-zero exit. Tracking variables of this process never leak in.
 */
export function runPython(script, args = [], { env = {}, timeoutMs = 180_000 } = {}) {
  const base = { ...process.env, ...PYTHON_ENV };
  for (const key of Object.keys(base)) if (key.startsWith('MLFLOW_TRACKING_') || key === 'MLFLOW_EXPERIMENT_NAME' || key === 'MLFLOW_EXPERIMENT_ID' || key === 'MLFLOW_RUN_ID') delete base[key];
  return new Promise((resolve, reject) => {
    const proc = spawn(PYTHON, [script, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk) => (stdout += chunk));
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`python ${path.basename(script)} failed (${code ?? signal}):\n${stdout}\n${stderr}`));
    });
  });
}

/** The last line of a script's stdout that parses as JSON. */
export function lastJsonLine(stdout) {
  const line = stdout.trim().split('\n').reverse().find((candidate) => candidate.trim().startsWith('{'));
  if (!line) throw new Error(`no JSON line in:\n${stdout}`);
  return JSON.parse(line);
}
