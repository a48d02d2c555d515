/**
 * Existing MLflow data in a workspace: an `mlflow.db` (MLflow's default store since 3.7, or any SQLite file a
 * script named in `sqlite:///...`) or an `mlruns/` file store. Finds them and says how MLflow's own server
 * opens them. No `vscode` import, so unit tests load it under plain Node.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export type MlflowStoreKind = 'sqlite' | 'file';

/** A store MLflow can serve: the SQLite file, or the `mlruns` folder of a file store. */
export interface MlflowStore {
  readonly kind: MlflowStoreKind;
  /** Absolute path of the .db file or of the mlruns folder. */
  readonly path: string;
}

/** Folders never searched: environments, dependencies, VCS data and Runboard's own store. */
const SKIPPED_FOLDERS = new Set(['node_modules', '.venv', 'venv', '.git', '.runboard', '__pycache__', '.tox', '.mypy_cache', 'site-packages']);
/** How deep below a workspace folder stores are looked for: projects keep them at the top or one level down. */
const SEARCH_DEPTH = 2;
const SQLITE_MAGIC = 'SQLite format 3\0';

/** The store at `path`, or undefined when it is neither an SQLite file nor an mlruns-style folder. */
export function storeAt(path: string): MlflowStore | undefined {
  const absolute = resolve(path);
  let stats;
  try {
    stats = statSync(absolute);
  } catch {
    return undefined;
  }
  if (stats.isFile()) return isSqliteFile(absolute) ? { kind: 'sqlite', path: absolute } : undefined;
  if (stats.isDirectory()) return isFileStore(absolute) ? { kind: 'file', path: absolute } : undefined;
  return undefined;
}

/** An empty file counts: `sqlite:///mlflow.db` creates one before MLflow writes its schema. */
function isSqliteFile(path: string): boolean {
  const header = Buffer.alloc(SQLITE_MAGIC.length);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const read = readSync(fd, header, 0, header.length, 0);
    return read === 0 || header.toString('latin1') === SQLITE_MAGIC;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A file store has at least one experiment folder with a meta.yaml (`0/meta.yaml` for the Default one). */
function isFileStore(dir: string): boolean {
  try {
    return readdirSync(dir, { withFileTypes: true }).some((entry) => entry.isDirectory() && /^\d+$/.test(entry.name) && existsSync(join(dir, entry.name, 'meta.yaml')));
  } catch {
    return false;
  }
}

/**
 * The `mlflow.db` files and `mlruns/` file stores under `folder` (itself and two levels down), nearest first.
 * Environments and dependencies (.venv, node_modules, ...) are not searched.
 */
export async function findStores(folder: string): Promise<MlflowStore[]> {
  const found: MlflowStore[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const subfolders: string[] = [];
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // the same order on every disk
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isFile() && entry.name === 'mlflow.db') {
        const store = storeAt(path);
        if (store) found.push(store);
      } else if (entry.isDirectory() && entry.name === 'mlruns') {
        const store = storeAt(path);
        if (store) found.push(store);
      } else if (entry.isDirectory() && depth < SEARCH_DEPTH && !SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.')) {
        subfolders.push(path);
      }
    }
    for (const subfolder of subfolders) await visit(subfolder, depth + 1);
  };
  await visit(resolve(folder), 0);
  return found;
}

/** How a store is named to the user: `mlflow.db`, `mlruns`, or `sub/mlflow.db` relative to its workspace. */
export function storeLabel(store: MlflowStore, workspaceFolder?: string): string {
  if (workspaceFolder) {
    const relativePath = resolve(store.path).slice(resolve(workspaceFolder).length + 1);
    if (resolve(store.path).startsWith(resolve(workspaceFolder) + '/') && relativePath) return relativePath;
  }
  return basename(store.path);
}

/**
 * `python -m mlflow` plus a watch on Runboard: stdin is a pipe nobody writes to, so it reaches end of file only
 * when the extension host is gone, however it ended (deactivation stops the server before; a crash or a kill -9
 * does not). Then the server's whole process group is told to stop, so no MLflow server outlives its window.
 * os.read, not sys.stdin: a daemon thread blocked in the buffered reader holds its lock, and Python aborts
 * with "Fatal Python error: _enter_buffered_busy" when the server exits on SIGTERM meanwhile.
 */
const PARENT_WATCH_BOOTSTRAP = [
  'import os, runpy, signal, sys, threading, time',
  'def watch_runboard():',
  '    while os.read(0, 65536):',
  '        pass',
  '    os.killpg(0, signal.SIGTERM)',
  '    time.sleep(5)',
  '    os.killpg(0, signal.SIGKILL)',
  'threading.Thread(target=watch_runboard, daemon=True).start()',
  'sys.argv = ["mlflow", *sys.argv[1:]]',
  'runpy.run_module("mlflow", run_name="__main__", alter_sys=True)',
].join('\n');

/** What `mlflow server` is started with for a store on `port`: argv after the interpreter, env additions, cwd. */
/** Where MLflow's server listens: a Unix socket (behind Runboard's token gate), or a loopback port. */
export type ServerListen = { readonly socketPath: string } | { readonly port: number };

export interface ServerCommand {
  readonly args: string[];
  /** Set over the user's environment. */
  readonly env: Record<string, string>;
  /** Set unless the user's environment says otherwise. */
  readonly defaultEnv: Record<string, string>;
  readonly cwd: string;
}

/**
 * `python -m mlflow server` as a user would run it next to the store (behind PARENT_WATCH_BOOTSTRAP), on a Unix
 * socket in a private folder (only Runboard's token gate reaches it) or, for an mlflow without uvicorn, loopback:
 * - the backend is the store itself, so the schema and every write stay MLflow's business;
 * - artifacts: runs already in the store keep their recorded locations (local paths such as `./mlruns/1/...`
 *   next to the db, which the server reads directly); new runs logged through the server get MLflow's default
 *   for a served store, `mlflow-artifacts:/` proxied into `mlartifacts/` beside the store (--serve-artifacts is
 *   MLflow's default; the destination is made absolute so it never depends on a cwd);
 * - a file store needs MLFLOW_ALLOW_FILE_STORE=true since MLflow 3 put it in maintenance mode (it refuses
 *   to open one otherwise);
 * - one worker: a single user's store, and four uvicorn workers would cost a second each to start;
 * - no job runner (MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false unless the user set it): it runs GenAI scorer jobs,
 *   which Runboard never asks for, in nine more processes.
 */
export function serverCommand(store: MlflowStore, listen: ServerListen): ServerCommand {
  const home = dirname(store.path);
  // uvicorn binds the socket instead of host:port when given one; the port is then never opened.
  const where = 'socketPath' in listen ? ['--uvicorn-opts', `--uds ${pythonShellQuote(listen.socketPath)}`, '--host', '127.0.0.1'] : ['--host', '127.0.0.1', '--port', String(listen.port)];
  const backend = store.kind === 'sqlite' ? `sqlite:///${store.path}` : pathToFileURL(store.path).href;
  return {
    args: [
      '-c', PARENT_WATCH_BOOTSTRAP, 'server',
      '--backend-store-uri', backend,
      '--serve-artifacts',
      '--artifacts-destination', join(home, 'mlartifacts'),
      ...where,
      '--workers', '1',
    ],
    env: store.kind === 'file' ? { MLFLOW_ALLOW_FILE_STORE: 'true' } : {},
    defaultEnv: { MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' },
    cwd: home,
  };
}

/** One word for Python's shlex.split, which MLflow applies to --uvicorn-opts. */
function pythonShellQuote(word: string): string {
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

/**
 * A line of uvicorn's access log for a request that succeeded (`INFO: - "GET /api/... HTTP/1.1" 200 OK`): the
 * views poll every few seconds and a training script logs each point, so these go to the log at trace level;
 * failed requests, startup and errors stay visible.
 */
export function isRoutineRequestLine(line: string): boolean {
  return /"[A-Z]+ \S+ HTTP\/[\d.]+" [23]\d\d\b/.test(line);
}

/** The URI `mlflow db upgrade` takes for a SQLite store. */
export function sqliteUri(store: MlflowStore): string {
  return `sqlite:///${store.path}`;
}
