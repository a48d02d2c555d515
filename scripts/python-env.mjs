// Makes (or reuses) the .venv that the integration tests drive: the real mlflow client, pinned.
// The lock file is installed with --no-deps: the registry serves mlflow 3.18.0 but not the
// mlflow-skinny/mlflow-tracing 3.18.0 its metadata pins, so the lock lists every dependency itself.
import { join } from 'node:path';
import { ensurePinnedVenv } from './lib/pinned-venv.mjs';

const root = new URL('..', import.meta.url).pathname;
ensurePinnedVenv({
  venv: join(root, '.venv'),
  lock: join(root, 'test/python/requirements.txt'),
  check: 'import mlflow, sklearn, hyperopt, pandas, psycopg, flask_wtf; print("mlflow", mlflow.__version__)',
  what: 'the pinned mlflow client',
});
