/**
 * MLflow's own server on an existing store, run from the user's interpreter: checks that mlflow imports
 * there, starts `python -m mlflow server` in its own process group on a Unix socket in a private folder with
 * Runboard's token gate in front (a loopback port when the gate is not given or mlflow is too old), waits
 * until it answers, and stops the whole group (uvicorn's worker and MLflow's job runner included) and the
 * gate. No `vscode` import: node:test drives it against real stores.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startGateWorker, type Gate } from './gate-host';
import { serverCommand, sqliteUri, type MlflowStore, type ServerListen } from './mlflow-store';

const CHECK_TIMEOUT_MS = 60_000;
/** A cold `import mlflow` plus the schema check of a big store on a busy machine. */
const STARTUP_TIMEOUT_MS = 120_000;
const HEALTH_POLL_MS = 300;
const STOP_GRACE_MS = 5_000;
const UPGRADE_TIMEOUT_MS = 300_000;

/** The interpreter cannot run mlflow: not found, or mlflow not importable there. */
export class MlflowMissingError extends Error {
  constructor(
    readonly python: string,
    readonly reason: 'no-python' | 'no-mlflow',
    detail: string,
  ) {
    super(
      reason === 'no-python'
        ? `The Python interpreter ${python} could not be run (${detail}).`
        : `mlflow is not installed in the Python interpreter ${python}${detail ? ` (${detail})` : ''}.`,
    );
    this.name = 'MlflowMissingError';
  }
}

/** The store was made by an older MLflow: the server refuses it until `mlflow db upgrade` migrates it. */
export class OutdatedSchemaError extends Error {
  constructor(
    readonly found: string,
    readonly expected: string,
  ) {
    super(`The store was written by an older MLflow (schema ${found}); this mlflow needs schema ${expected}.`);
    this.name = 'OutdatedSchemaError';
  }
}

/** The server exited or never answered; `output` is the tail of what it printed. */
export class ServerStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = 'ServerStartError';
  }
}

/** `mlflow.__version__` in `python`, or MlflowMissingError saying what is wrong. */
export function checkMlflow(python: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(python, ['-c', 'import mlflow, sys; sys.stdout.write(mlflow.__version__)'], { timeout: CHECK_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (!error) return resolvePromise(stdout.trim());
      reject(missingMlflow(python, error, stderr) ?? new MlflowMissingError(python, 'no-mlflow', `import mlflow failed: ${lastErrorLine(stderr) ?? error.message}`));
    });
  });
}

/** The MlflowMissingError a failed run of `python` means, if it means one: no interpreter, or no mlflow in it. */
function missingMlflow(python: string, error: Error, stderr: string): MlflowMissingError | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EACCES') return new MlflowMissingError(python, 'no-python', code === 'ENOENT' ? 'not found' : 'not executable');
  if (/No module named '?mlflow'?/.test(stderr)) return new MlflowMissingError(python, 'no-mlflow', '');
  return undefined;
}

/** A port on 127.0.0.1 nothing listens on right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

export interface StartOptions {
  readonly python: string;
  readonly store: MlflowStore;
  /** Every line the server prints (stdout and stderr), for the log channel. */
  readonly onOutput?: (line: string) => void;
  /** Cancels the start: the process group is stopped and the promise rejects. */
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** Extra environment (tests quiet the server's telemetry here). */
  readonly env?: Record<string, string>;
  /**
   * dist/gate-worker.js: MLflow's server then listens on a Unix socket in a private folder and clients reach it
   * only through this token gate. Without it, or with an mlflow whose server has no --uvicorn-opts (2.x), it
   * listens on a loopback port with no token.
   */
  readonly gateScript?: string;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when stop() asked for it. */
  readonly requested: boolean;
}

/** A running `mlflow server` on a store. */
export interface StoreServer {
  readonly url: string;
  /** The bearer token the gate in front of it wants; undefined when MLflow's server has a port of its own. */
  readonly token: string | undefined;
  readonly pid: number;
  readonly store: MlflowStore;
  /** Settles when the process exits, whoever ended it. */
  readonly exited: Promise<ExitInfo>;
  /** False once the process exited. */
  readonly running: boolean;
  /** Stops the process group: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** Synchronous last resort (extension deactivation): SIGTERM to the group now, SIGKILL shortly after. */
  kill(): void;
}

/**
 * Starts MLflow's server on `store` and resolves once it answers an API call (not only /health: the store
 * behind it must work). An SQLite store an older MLflow wrote rejects with OutdatedSchemaError before any
 * server starts: MLflow's server would either refuse it or, when tables are missing, migrate it in place
 * without asking, after which the older clients still writing to it fail. The user decides (upgradeSchema).
 */
export async function startStoreServer(options: StartOptions): Promise<StoreServer> {
  if (options.store.kind === 'sqlite') {
    const schema = await schemaOf(options.python, options.store);
    if (schema.current !== null && schema.current !== schema.head) throw new OutdatedSchemaError(schema.current, schema.head);
  }
  if (options.gateScript) {
    try {
      return await startBehindGate(options, options.gateScript);
    } catch (error) {
      if (!(error instanceof ServerStartError && /No such option:? '?--uvicorn-opts/.test(error.output))) throw error;
      options.onOutput?.('This mlflow has no --uvicorn-opts (it is older than 3.x): serving on a loopback port without a token instead.');
    }
  }
  // Another process may take the free port between our check and MLflow's bind: try a fresh one once more.
  for (let attempt = 0; ; attempt++) {
    try {
      const port = await freeLoopbackPort();
      return await startOnce(options, { port }, { url: `http://127.0.0.1:${port}`, token: undefined });
    } catch (error) {
      if (attempt === 0 && error instanceof ServerStartError && /address already in use/i.test(error.output)) continue;
      throw error;
    }
  }
}

/** MLflow's server on a socket in a new private folder (mode 0700), the token gate in front of it. */
async function startBehindGate(options: StartOptions, gateScript: string): Promise<StoreServer> {
  const folder = mkdtempSync(join(tmpdir(), 'runboard-mlflow-'));
  const socketPath = join(folder, 'mlflow.sock');
  const token = randomBytes(24).toString('base64url');
  const cleanUp = () => rmSync(folder, { recursive: true, force: true });
  let gate: Gate;
  try {
    gate = await startGateWorker(gateScript, { socketPath, token }, (line) => options.onOutput?.(`[gate] ${line}`));
  } catch (error) {
    cleanUp();
    throw new ServerStartError(error instanceof Error ? error.message : String(error), '');
  }
  const closeGate = async () => {
    await gate.stop();
    cleanUp();
  };
  try {
    const server = await startOnce(options, { socketPath }, { url: gate.url, token });
    // Should MLflow's server die on its own, the gate stays and answers 503 (the views go stale) until a stop.
    return {
      ...server,
      get running() {
        return server.running;
      },
      async stop() {
        await server.stop();
        await closeGate();
      },
      kill() {
        server.kill();
        void closeGate();
      },
    };
  } catch (error) {
    await closeGate();
    throw error;
  }
}

async function startOnce(options: StartOptions, listen: ServerListen, endpoint: { url: string; token: string | undefined }): Promise<StoreServer> {
  const command = serverCommand(options.store, listen);
  const { url, token } = endpoint;
  const child = spawn(options.python, command.args, {
    cwd: command.cwd,
    env: { ...command.defaultEnv, ...process.env, ...command.env, ...options.env, PYTHONUNBUFFERED: '1' },
    stdio: ['pipe', 'pipe', 'pipe'], // stdin stays open and unwritten: its end of file means Runboard is gone
    detached: true, // its own process group: stop() reaches uvicorn's worker too
  });
  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > 60) tail.shift();
    options.onOutput?.(line);
  };
  for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on('line', onLine);

  let stopRequested = false;
  const exited = new Promise<ExitInfo>((resolvePromise) => {
    child.once('exit', (code, signal) => resolvePromise({ code, signal, requested: stopRequested }));
    child.once('error', () => resolvePromise({ code: null, signal: null, requested: stopRequested }));
  });
  const spawnError = new Promise<Error>((resolvePromise) => child.once('error', resolvePromise));
  const server: StoreServer = {
    url,
    token,
    pid: child.pid ?? -1,
    store: options.store,
    exited,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    async stop() {
      stopRequested = true;
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      signalGroup(child, 'SIGTERM');
      const timer = new Promise((resolvePromise) => setTimeout(resolvePromise, STOP_GRACE_MS));
      await Promise.race([exited, timer]);
      signalGroup(child, 'SIGKILL'); // whatever of the group is still there (a worker that ignored SIGTERM)
    },
    kill() {
      stopRequested = true;
      if (child.pid === undefined) return;
      signalGroup(child, 'SIGTERM');
      setTimeout(() => signalGroup(child, 'SIGKILL'), 2000).unref();
    },
  };

  // Cancelled (or the window closes) while it starts: the group gets SIGTERM at once, not at the next poll.
  const onAbort = () => server.kill();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await waitUntilServing(url, token, options, exited, spawnError);
    return server;
  } catch (error) {
    await server.stop();
    throw classifyFailure(error, tail.join('\n'), options.python);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function waitUntilServing(url: string, token: string | undefined, options: StartOptions, exited: Promise<ExitInfo>, spawnError: Promise<Error>): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? STARTUP_TIMEOUT_MS);
  let exit: ExitInfo | undefined;
  let failure: Error | undefined;
  void exited.then((info) => (exit = info));
  void spawnError.then((error) => (failure = error));
  while (true) {
    if (options.signal?.aborted) throw new ServerStartError('cancelled', '');
    if (failure) throw failure;
    if (exit) throw new ServerStartError(`mlflow server exited (${exit.code ?? exit.signal}) before it answered`, '');
    if (Date.now() > deadline) throw new ServerStartError(`mlflow server did not answer within ${Math.round((options.timeoutMs ?? STARTUP_TIMEOUT_MS) / 1000)} s`, '');
    if (await answers(url, token)) return;
    await new Promise((resolvePromise) => setTimeout(resolvePromise, HEALTH_POLL_MS));
  }
}

/** /health, then one real read: the store behind it works. */
async function answers(url: string, token: string | undefined): Promise<boolean> {
  try {
    const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    if (!health.ok) return false;
    const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
    const search = await fetch(`${url}/api/2.0/mlflow/experiments/search?max_results=1`, { headers, signal: AbortSignal.timeout(10_000) });
    return search.ok;
  } catch {
    return false;
  }
}

/** Turns an exit into the error that tells the user what to do. */
function classifyFailure(error: unknown, output: string, python: string): Error {
  const schema = /out-of-date database schema \(found version (\S+), but expected (\S+)\)/.exec(output);
  if (schema) return new OutdatedSchemaError(schema[1]!.replace(/[,)]$/, ''), schema[2]!.replace(/[.)]+$/, ''));
  if (/No module named '?mlflow'?/.test(output)) return new MlflowMissingError(python, 'no-mlflow', '');
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new MlflowMissingError(python, 'no-python', 'not found');
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ServerStartError && message === 'cancelled') return error;
  const reason = lastErrorLine(output);
  return new ServerStartError(reason ? `${message}: ${reason}` : message, output);
}

/** The most telling line of a Python failure: the exception line, else the last line printed. */
function lastErrorLine(output: string): string | undefined {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  return [...lines].reverse().find((line) => /(Error|Exception)\b.*:/.test(line)) ?? lines.pop();
}

/**
 * The store's schema revision (null for a store MLflow has not written yet) and the one the interpreter's
 * mlflow needs, asked of that mlflow itself: the store is opened read-only by Python's sqlite3, and the head
 * revision comes from mlflow's own migrations (`_get_latest_schema_revision`, what its server compares).
 */
export function schemaOf(python: string, store: MlflowStore): Promise<{ current: string | null; head: string }> {
  const script = [
    'import json, pathlib, sqlite3, sys',
    'from mlflow.store.db.utils import _get_latest_schema_revision',
    'db = sqlite3.connect(pathlib.Path(sys.argv[1]).as_uri() + "?mode=ro", uri=True)',
    'try:',
    '    row = db.execute("select version_num from alembic_version").fetchone()',
    'except sqlite3.OperationalError:',
    '    row = None',
    'sys.stdout.write(json.dumps({"current": row[0] if row else None, "head": _get_latest_schema_revision()}))',
  ].join('\n');
  return new Promise((resolvePromise, reject) => {
    execFile(python, ['-c', script, store.path], { timeout: CHECK_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) return reject(missingMlflow(python, error, stderr) ?? new ServerStartError(`could not read the schema version of ${store.path}: ${lastErrorLine(stderr) ?? error.message}`, stderr));
      resolvePromise(JSON.parse(stdout) as { current: string | null; head: string });
    });
  });
}

/** `python -m mlflow db upgrade sqlite:///...`: migrates a store an older MLflow wrote to this mlflow's schema. */
export function upgradeSchema(python: string, store: MlflowStore, onOutput?: (line: string) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, ['-m', 'mlflow', 'db', 'upgrade', sqliteUri(store)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr])
      createInterface({ input: stream }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        onOutput?.(line);
      });
    const timer = setTimeout(() => child.kill('SIGKILL'), UPGRADE_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise();
      else reject(new ServerStartError(`mlflow db upgrade failed (${code ?? signal}): ${lastErrorLine(tail.join('\n')) ?? 'no output'}`, tail.join('\n')));
    });
  });
}
