// Makes (or reuses) a venv from a full lock file, installed with --no-deps; a stamp of the lock's hash in the
// venv makes a second run a check of well under a second. Shared by scripts/python-env.mjs (.venv, mlflow 3.18)
// and scripts/mlflow2-env.mjs (.venv-mlflow2, mlflow 2.22).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `check` is Python code run in the new venv to prove it imports what the tests need. */
export function ensurePinnedVenv({ venv, lock, check, what }) {
  const stamp = join(venv, '.runboard-lock-sha256');
  const python = process.env.RUNBOARD_PYTHON || 'python3';
  const wanted = createHash('sha256').update(readFileSync(lock)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted) return;
  const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
  console.log(`Setting up ${venv} with ${what} (about a minute)...`);
  run(python, ['-m', 'venv', '--clear', venv]);
  run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', lock]);
  run(join(venv, 'bin', 'python'), ['-c', check]);
  writeFileSync(stamp, wanted + '\n');
}
