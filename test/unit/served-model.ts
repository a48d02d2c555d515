// What the unit and remote suites share for "Serve Model": `mlflow models serve` started as the command
// starts it (its arguments and environment), waited for, and stopped with its process group. Not a test file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { modelCliEnvironment, readCsvTable, serveArgs } from '../../src/extension/launcher/model-cli';
import { freeLoopbackPort } from '../../src/extension/stores/store-server';

/** Serves `modelUri` on a free loopback port, runs `use` with its URL, then stops it. */
export async function withServedModel<T>(python: string, modelUri: string, trackingEnv: Record<string, string>, use: (url: string, port: number) => Promise<T>): Promise<T> {
  const port = await freeLoopbackPort();
  const child = spawn(python, serveArgs(modelUri, port), { env: modelCliEnvironment(python, trackingEnv), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) assert.fail(`mlflow models serve exited: ${output}`);
      const up = await fetch(`${url}/ping`).then((response) => response.ok, () => false);
      if (up) break;
      if (i > 600) assert.fail(`mlflow models serve did not answer within 120 s: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return await use(url, port);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already exited (the assertion above says why)
    }
  }
}

/** POSTs a body to /invocations; the predictions it answers. */
export async function invoke(url: string, body: string): Promise<unknown[]> {
  const response = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { predictions: unknown[] }).predictions;
}

/** A CSV file as MLflow's `dataframe_split` serving input. */
export function dataframeSplit(csvPath: string): string {
  const table = readCsvTable(readFileSync(csvPath, 'utf8'), 1000);
  assert.ok(table, `${csvPath} reads as a table`);
  return JSON.stringify({ dataframe_split: { columns: table.columns, data: table.rows } });
}
