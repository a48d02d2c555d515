// `runboard serve` and `runboard copy` on every Node the package promises (engines.node >= 20): Node 20 (this
// one, better-sqlite3), 22 and 24 (from the npm registry, node:sqlite). Each serves a store that a client writes,
// copies it into a second store folder, and serves the copy; no runtime warning reaches the user's terminal.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { MlflowClient } from '../../src/client/mlflow-client';
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore: a plain ES module of the project's scripts, without types
import { nodeRuntime } from '../../scripts/node-runtime.mjs';

const CLI = join(__dirname, '../../dist/cli.js');
const TOKEN = 'runtime-token';

const RUNTIMES: { label: string; node: () => string; driver: string }[] = [
  { label: 'Node 20', node: () => process.execPath, driver: 'better-sqlite3' },
  { label: 'Node 22', node: () => (nodeRuntime as (major: number) => string)(22), driver: 'node:sqlite' },
  { label: 'Node 24', node: () => (nodeRuntime as (major: number) => string)(24), driver: 'node:sqlite' },
];

async function serve(node: string, store: string): Promise<{ url: string; stderr: () => string; stop: () => Promise<void> }> {
  const child = spawn(node, [CLI, 'serve', '--store', store, '--port', '0', '--token', TOKEN], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUNBOARD_SQLITE_DRIVER: '' } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (match) resolve(match[1]!);
      else reject(new Error(`unexpected first line: ${line}\n${stderr}`));
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('runboard serve and copy on each Node', () => {
  for (const runtime of RUNTIMES) {
    it(`${runtime.label}: serves with ${runtime.driver}, copies a store folder, serves the copy`, { timeout: 120_000 }, async () => {
      const node = runtime.node();
      const dir = mkdtempSync(join(tmpdir(), 'runboard-runtime-'));
      try {
        const source = await serve(node, join(dir, 'a'));
        const client = new MlflowClient({ baseUrl: source.url, credentials: { kind: 'bearer', token: TOKEN } });
        const experimentId = await client.createExperiment('runtime');
        const run = await client.createRun({ experimentId, runName: 'on-this-node', startTime: 1_700_000_000_000 });
        const metrics = Array.from({ length: 50 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1), timestamp: 1_700_000_000_000 + step, step }));
        await client.logBatch(run.run_id, { metrics, params: [{ key: 'node', value: runtime.label }] });
        await client.updateRun(run.run_id, { status: 'FINISHED', endTime: 1_700_000_100_000 });
        await source.stop();
        assert.match(source.stderr(), new RegExp(`^SQLite driver: ${runtime.driver}\\b`, 'm'));
        assert.doesNotMatch(source.stderr(), /Warning/, 'no runtime warning (node:sqlite is experimental on Node 22) is printed');

        const copy = spawnSync(node, [CLI, 'copy', '--from', join(dir, 'a'), '--to', join(dir, 'b')], { encoding: 'utf8', timeout: 90_000 });
        assert.equal(copy.status, 0, copy.stderr);
        assert.match(copy.stderr, /Copy complete\./);
        assert.doesNotMatch(copy.stderr, /Warning/);

        const copied = await serve(node, join(dir, 'b'));
        try {
          const target = new MlflowClient({ baseUrl: copied.url, credentials: { kind: 'bearer', token: TOKEN } });
          const experiment = await target.getExperimentByName('runtime');
          assert.ok(experiment, 'the experiment was copied');
          const runs = await target.searchRuns({ experimentIds: [experiment.experiment_id], maxResults: 10 });
          assert.deepEqual(runs.items.map((r) => [r.info.run_name, r.info.status, r.data.params?.find((p) => p.key === 'node')?.value]), [['on-this-node', 'FINISHED', runtime.label]]);
          const points = [];
          for await (const page of target.metricHistory(runs.items[0]!.info.run_id, 'loss')) points.push(...page);
          assert.deepEqual(points.map((p) => [p.step, p.value]), metrics.map((m) => [m.step, m.value]));
        } finally {
          await copied.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
