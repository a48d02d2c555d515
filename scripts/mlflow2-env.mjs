#!/usr/bin/env node
// Makes (or reuses) .venv-mlflow2: an older mlflow client (2.22, pinned in test/stores/requirements-mlflow2.txt)
// that writes the fixture stores of a project made before mlflow 3 (test/stores/make-stores.mjs). Installed with
// --no-deps from the full lock, like .venv (scripts/python-env.mjs).
import { join } from 'node:path';
import { ensurePinnedVenv } from './lib/pinned-venv.mjs';

const root = new URL('..', import.meta.url).pathname;
ensurePinnedVenv({
  venv: join(root, '.venv-mlflow2'),
  lock: join(root, 'test/stores/requirements-mlflow2.txt'),
  check: 'import mlflow, sklearn, hyperopt, pandas, matplotlib; print("mlflow", mlflow.__version__)',
  what: 'the pinned mlflow 2.x client',
});
