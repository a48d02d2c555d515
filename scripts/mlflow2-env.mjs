#!/usr/bin/env node
// Makes (or reuses) .venv-mlflow2: an older mlflow client (2.22, pinned in test/stores/requirements-mlflow2.txt)
// that writes the fixture stores of a project made before mlflow 3 (test/stores/make-stores.mjs). Installed with
// --no-deps from the full lock, like scripts/python-env.mjs; a stamp of the lock's hash makes a second run a
// check of well under a second.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const venv = join(root, '.venv-mlflow2');
const lock = join(root, 'test/stores/requirements-mlflow2.txt');
const stamp = join(venv, '.runboard-lock-sha256');
const python = process.env.RUNBOARD_PYTHON || 'python3';

const wanted = createHash('sha256').update(readFileSync(lock)).digest('hex');
if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted) {
  process.exit(0);
}
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
console.log(`Setting up ${venv} with the pinned mlflow 2.x client (about a minute)...`);
run(python, ['-m', 'venv', '--clear', venv]);
run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', lock]);
run(join(venv, 'bin', 'python'), ['-c', 'import mlflow, sklearn, hyperopt, pandas, matplotlib; print("mlflow", mlflow.__version__)']);
writeFileSync(stamp, wanted + '\n');
