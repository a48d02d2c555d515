// Makes (or reuses) the .venv that the integration tests drive: the real mlflow client, pinned.
// The lock file is installed with --no-deps: the registry serves mlflow 3.18.0 but not the
// mlflow-skinny/mlflow-tracing 3.18.0 its metadata pins, so the lock lists every dependency itself.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const venv = join(root, '.venv');
const lock = join(root, 'test/python/requirements.txt');
const stamp = join(venv, '.runboard-lock-sha256');
const python = process.env.RUNBOARD_PYTHON || 'python3';

const wanted = createHash('sha256').update(readFileSync(lock)).digest('hex');
if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted) {
  process.exit(0);
}
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
console.log(`Setting up ${venv} with the pinned mlflow client (about a minute)...`);
run(python, ['-m', 'venv', '--clear', venv]);
const pip = join(venv, 'bin', 'pip');
run(pip, ['install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', lock]);
run(join(venv, 'bin', 'python'), ['-c', 'import mlflow, sklearn, hyperopt, pandas, psycopg, flask_wtf; print("mlflow", mlflow.__version__)']);
writeFileSync(stamp, wanted + '\n');
