// The real client: bench/workloads/client_flow.py under the pinned mlflow (.venv), pointed at the server.
// Wall time of the flow itself (mlflow's import time is the same for both servers and reported apart).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MLFLOW_ENV, VENV_BIN } from '../lib/servers.mjs';
import { median } from '../lib/stats.mjs';

const SCRIPT = new URL('./client_flow.py', import.meta.url).pathname;

export async function realClient(api, { reps, maxSeconds }) {
  const env = { ...process.env, ...MLFLOW_ENV, MLFLOW_TRACKING_URI: api.base };
  for (const name of ['MLFLOW_TRACKING_TOKEN', 'MLFLOW_EXPERIMENT_ID', 'MLFLOW_EXPERIMENT_NAME', 'MLFLOW_RUN_ID', 'MLFLOW_REGISTRY_URI']) delete env[name];
  const results = [];
  const deadline = performance.now() + maxSeconds * 1000;
  for (let rep = 0; rep < reps && (rep === 0 || performance.now() < deadline); rep++) {
    const { stdout } = await promisify(execFile)(join(VENV_BIN, 'python'), [SCRIPT, String(rep)], { env, timeout: maxSeconds * 1000, maxBuffer: 16 << 20 });
    results.push(JSON.parse(stdout.trim().split('\n').at(-1)));
  }
  const part = (key) => median(results.map((r) => r[key]));
  return {
    seconds: part('seconds'),
    manualSeconds: part('manual_seconds'),
    searchSeconds: part('search_seconds'),
    autologSeconds: part('autolog_seconds'),
    importSeconds: part('import_seconds'),
    reps: results.length,
  };
}
