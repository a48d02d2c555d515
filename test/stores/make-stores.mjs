// Fixture stores made by the real mlflow client, the way existing MLflow projects have them on disk:
//   - 'mlflow3-sqlite':    dir/mlflow.db + dir/mlruns/ (artifacts), written by mlflow 3.18 (.venv);
//   - 'mlflow2-sqlite':    the same, written by mlflow 2.22 (.venv-mlflow2, made by scripts/mlflow2-env.mjs);
//   - 'mlflow3-filestore': dir/mlruns/ (the file store, tracking and registry), written by mlflow 3.18.
// Each holds the seed's flows (test/stores/seed_store.py). Building one takes half a minute, so each kind is
// built once into .cache/stores/<kind>-<hash> (the hash of the seed script, the client's lock file and
// BUILD_VERSION) and copied into `dir`, its absolute artifact locations rewritten from the cache folder to `dir`
// (what moving an MLflow store by hand takes).
//
//   const store = await makeStore('mlflow3-sqlite', dir);
//   // -> { kind, dir, trackingUri, backendStoreUri, python, mlflowVersion, experiments: { name: id }, runs }
//
// `backendStoreUri` is what `mlflow server --backend-store-uri` takes; `python` is the interpreter of the client
// that wrote the store (serve an mlflow2 store with it: mlflow 3 would first ask for `mlflow db upgrade`).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const SEED = path.join(HERE, 'seed_store.py');
const CACHE = path.join(ROOT, '.cache', 'stores');
/** Bump when the way a store is built changes (the seed script and the lock files are hashed already). */
const BUILD_VERSION = '1';

/** The kinds of store, each with the client that writes it. */
export const STORE_KINDS = {
  'mlflow3-sqlite': { venv: '.venv', lock: 'test/python/requirements.txt', layout: 'sqlite' },
  'mlflow2-sqlite': { venv: '.venv-mlflow2', lock: 'test/stores/requirements-mlflow2.txt', layout: 'sqlite', setup: 'scripts/mlflow2-env.mjs' },
  'mlflow3-filestore': { venv: '.venv', lock: 'test/python/requirements.txt', layout: 'filestore' },
};

/** Environment of the seed script: quiet, no telemetry, the file store allowed (mlflow 3 refuses it otherwise). */
const SEED_ENV = {
  MLFLOW_ALLOW_FILE_STORE: 'true',
  MLFLOW_DISABLE_TELEMETRY: 'true',
  DO_NOT_TRACK: 'true',
  MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR: 'false',
  PYTHONUNBUFFERED: '1',
};

export function pythonOf(kind) {
  const spec = STORE_KINDS[kind];
  if (!spec) throw new Error(`Unknown store kind ${JSON.stringify(kind)}: one of ${Object.keys(STORE_KINDS).join(', ')}.`);
  return path.join(ROOT, spec.venv, 'bin', 'python');
}

/** The URI the client and `mlflow server` take for a store of `layout` in `dir`. */
function uriOf(layout, dir) {
  return layout === 'sqlite' ? `sqlite:///${path.join(dir, 'mlflow.db')}` : `file://${path.join(dir, 'mlruns')}`;
}

function cacheKey(kind) {
  const spec = STORE_KINDS[kind];
  const hash = createHash('sha256').update(`${kind}\0${BUILD_VERSION}`);
  for (const file of [SEED, path.join(ROOT, spec.lock)]) hash.update(fs.readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/** Builds the store of `kind` into the cache (once per content hash); returns the cached folder. */
function cached(kind) {
  const spec = STORE_KINDS[kind];
  const folder = path.join(CACHE, `${kind}-${cacheKey(kind)}`);
  const manifest = path.join(folder, 'seed.json');
  if (fs.existsSync(manifest)) return folder;
  if (spec.setup) execFileSync(process.execPath, [path.join(ROOT, spec.setup)], { stdio: 'inherit' });
  const python = pythonOf(kind);
  if (!fs.existsSync(python)) throw new Error(`${python} is missing: run \`node scripts/python-env.mjs\`.`);
  // Built beside the final folder and renamed into place, so an interrupted build is never taken for a store.
  fs.mkdirSync(CACHE, { recursive: true });
  const building = fs.mkdtempSync(path.join(CACHE, `.${kind}-`));
  const env = { ...process.env, ...SEED_ENV, MLFLOW_TRACKING_URI: uriOf(spec.layout, building) };
  for (const key of Object.keys(env)) if (/^MLFLOW_(TRACKING_(?!URI)|REGISTRY_URI|EXPERIMENT_|RUN_ID)/.test(key)) delete env[key];
  const result = spawnSync(python, [SEED], { cwd: building, env, encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) {
    fs.rmSync(building, { recursive: true, force: true });
    throw new Error(`seed_store.py (${kind}) failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr.split('\n').slice(-40).join('\n')}`);
  }
  const seed = JSON.parse(result.stdout.trim().split('\n').reverse().find((line) => line.startsWith('{')));
  fs.writeFileSync(path.join(building, 'seed.json'), JSON.stringify({ ...seed, builtIn: building }, null, 2));
  try {
    fs.renameSync(building, folder);
  } catch (error) {
    // Another process built the same store meanwhile: keep theirs.
    fs.rmSync(building, { recursive: true, force: true });
    if (!fs.existsSync(manifest)) throw error;
  }
  return folder;
}

/** Rewrites every absolute `from` path to `to` in the store's metadata (SQLite text columns, meta.yaml files). */
function relocate(layout, dir, from, to) {
  if (layout === 'sqlite') {
    const db = new Database(path.join(dir, 'mlflow.db'));
    try {
      const tables = db.prepare("select name from sqlite_master where type = 'table'").all().map((row) => row.name);
      db.transaction(() => {
        for (const table of tables) {
          for (const { name, type } of db.prepare(`pragma table_info("${table}")`).all()) {
            if (!/char|text|clob/i.test(type)) continue;
            db.prepare(`update "${table}" set "${name}" = replace("${name}", ?, ?) where instr("${name}", ?) > 0`).run(from, to, from);
          }
        }
      })();
      db.exec('vacuum'); // the old values stay in free pages otherwise
    } finally {
      db.close();
    }
    return;
  }
  const walk = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'artifacts') walk(file); // artifacts are user bytes, never rewritten
      } else if (entry.name === 'meta.yaml') {
        const text = fs.readFileSync(file, 'utf8');
        if (text.includes(from)) fs.writeFileSync(file, text.split(from).join(to));
      }
    }
  };
  walk(path.join(dir, 'mlruns'));
}

/**
 * A fresh copy of the fixture store of `kind` in `dir` (made if missing; must be empty or absent).
 * Returns { kind, dir, trackingUri, backendStoreUri, python, mlflowVersion, experiments, runs }.
 */
export async function makeStore(kind, dir) {
  const spec = STORE_KINDS[kind];
  if (!spec) throw new Error(`Unknown store kind ${JSON.stringify(kind)}: one of ${Object.keys(STORE_KINDS).join(', ')}.`);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new Error(`${dir} is not empty: makeStore copies a store into an empty folder.`);
  const source = cached(kind);
  const seed = JSON.parse(fs.readFileSync(path.join(source, 'seed.json'), 'utf8'));
  const target = path.resolve(dir);
  fs.cpSync(source, target, { recursive: true });
  fs.rmSync(path.join(target, 'seed.json'));
  relocate(spec.layout, target, seed.builtIn, target);
  const uri = uriOf(spec.layout, target);
  return {
    kind,
    dir: target,
    trackingUri: uri,
    backendStoreUri: uri,
    python: pythonOf(kind),
    mlflowVersion: seed.mlflow_version,
    experiments: seed.experiments,
    runs: seed.runs,
  };
}

// `node test/stores/make-stores.mjs KIND DIR`: makes one store by hand (e.g. to open it in VS Code).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [kind, dir] = process.argv.slice(2);
  if (!kind || !dir) {
    console.error(`usage: node test/stores/make-stores.mjs ${Object.keys(STORE_KINDS).join('|')} DIR`);
    process.exit(2);
  }
  console.log(JSON.stringify(await makeStore(kind, dir), null, 2));
}
