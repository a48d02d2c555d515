import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MlflowApiError, type Metric, type MlflowClient, type Run } from '../../src/client/mlflow-client';
import { sampledSeries, sparkline } from '../../src/extension/panels/data';
import { LiveSeries } from '../../src/extension/panels/live-series';
import { MetricStatsTracker } from '../../src/extension/panels/metric-stats';
import type { HostMessage } from '../../src/webview/protocol';

const MAX = 2500;

/** A fake client over in-memory histories, sampling as the server does (first of each bucket, and the last). */
function fakeClient(histories: Map<string, Metric[]>, options: { bulk?: boolean } = {}) {
  const calls: string[] = [];
  const client = {
    async sampledMetricHistory(runIds: string[], key: string, o: { maxResults?: number; startStep?: number; endStep?: number } = {}) {
      calls.push(`sampled ${runIds.join(',')} ${key} ${o.startStep ?? ''}`);
      if (options.bulk === false) throw new MlflowApiError('ENDPOINT_NOT_FOUND', 'no such endpoint', 404);
      const out: Metric[] = [];
      for (const runId of runIds) {
        const points = (histories.get(`${runId}/${key}`) ?? []).filter((p) => (o.startStep === undefined || p.step >= o.startStep) && (o.endStep === undefined || p.step <= o.endStep));
        const max = o.maxResults ?? MAX;
        const picked = points.length <= max ? points : Array.from({ length: max }, (_, i) => points[i === max - 1 ? points.length - 1 : Math.floor((i * points.length) / max)]!);
        out.push(...picked.map((p) => ({ ...p, run_id: runId })));
      }
      return out;
    },
    async *metricHistory(runId: string, key: string) {
      calls.push(`history ${runId} ${key}`);
      const points = histories.get(`${runId}/${key}`) ?? [];
      for (let i = 0; i < points.length; i += 1000) yield points.slice(i, i + 1000);
    },
  };
  return { client: client as unknown as MlflowClient, calls };
}

const points = (key: string, from: number, to: number, value = (s: number) => s) => Array.from({ length: to - from }, (_, i) => ({ key, step: from + i, timestamp: 1000 + from + i, value: value(from + i) }));

function runWith(latest: Metric[]): Run {
  return { info: { run_id: 'r1', experiment_id: '1', status: 'RUNNING', lifecycle_stage: 'active' }, data: { metrics: latest, params: [], tags: [] }, inputs: {}, outputs: {} };
}

describe('live series of chart panels', () => {
  test('answers a request, then sends only the points logged after it', async () => {
    const histories = new Map([['r1/loss', points('loss', 0, 10)]]);
    const { client } = fakeClient(histories);
    const posted: HostMessage[] = [];
    const live = new LiveSeries((m) => posted.push(m));
    const reply = await live.request(client, { type: 'requestSeries', requestId: 7, key: 'loss', runIds: ['r1'] });
    assert.ok(reply.type === 'series' && reply.requestId === 7);
    assert.ok(reply.type === 'series' && reply.series[0]!.steps instanceof Float64Array && reply.series[0]!.steps.length === 10);
    histories.get('r1/loss')!.push(...points('loss', 10, 13));
    await live.runChanged(client, 'r1');
    assert.equal(posted.length, 1);
    const append = posted[0]!;
    assert.ok(append.type === 'append' && [...append.series[0]!.steps].join() === '10,11,12');
    await live.runChanged(client, 'r1');
    assert.equal(posted.length, 1, 'nothing new, nothing sent');
    live.reset();
    histories.get('r1/loss')!.push(...points('loss', 13, 14));
    await live.runChanged(client, 'r1');
    assert.equal(posted.length, 1, 'a reset webview asks again instead');
  });

  test('falls back to whole histories on a server without sampled history', async () => {
    const histories = new Map([['r1/loss', points('loss', 0, 6000, (s) => (s === 5999 ? NaN : s))]]);
    const { client, calls } = fakeClient(histories, { bulk: false });
    const [series] = await sampledSeries(client, ['r1'], 'loss');
    assert.ok(series!.sampled);
    assert.equal(series!.steps.length, MAX);
    assert.equal(series!.steps[MAX - 1], 5999, 'the last point is kept');
    assert.ok(Number.isNaN(series!.values[MAX - 1]!));
    assert.ok(calls.some((c) => c.startsWith('history')));
  });
});

describe('metric stats of the details panel', () => {
  test('a short history is exact from one request, then updated incrementally', async () => {
    const histories = new Map([['r1/loss', points('loss', 0, 100, (s) => 100 - s)]]);
    const { client, calls } = fakeClient(histories);
    const tracker = new MetricStatsTracker('r1', () => undefined, () => undefined);
    let [stats] = await tracker.update(client, runWith([{ key: 'loss', step: 99, timestamp: 1099, value: 1 }]));
    assert.deepEqual([stats!.count, stats!.min, stats!.max, stats!.exact], [100, 1, 100, true]);
    histories.get('r1/loss')!.push(...points('loss', 100, 105, () => -5));
    [stats] = await tracker.update(client, runWith([{ key: 'loss', step: 104, timestamp: 1104, value: -5 }]));
    assert.deepEqual([stats!.count, stats!.min, stats!.exact], [105, -5, true]);
    const before = calls.length;
    await tracker.update(client, runWith([{ key: 'loss', step: 104, timestamp: 1104, value: -5 }]));
    assert.equal(calls.length, before, 'no request when nothing was logged');
    assert.ok(stats!.spark && stats!.spark.length <= 100);
  });

  test('a long history is approximate until the background count finishes', async () => {
    const histories = new Map([['r1/acc', points('acc', 0, 10_000, (s) => (s === 4321 ? -1 : s / 10_000))]]);
    const { client } = fakeClient(histories);
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const tracker = new MetricStatsTracker('r1', () => finished(), () => undefined);
    const latest = runWith([{ key: 'acc', step: 9999, timestamp: 10_999, value: 0.9999 }]);
    let [stats] = await tracker.update(client, latest);
    assert.equal(stats!.exact, false);
    await done;
    [stats] = await tracker.update(client, latest);
    assert.deepEqual([stats!.count, stats!.min, stats!.exact], [10_000, -1, true]);
  });

  test('sparklines average buckets and keep NaN as a gap', () => {
    assert.deepEqual(sparkline([1, 2, 3, 4], 2), [1.5, 3.5]);
    assert.deepEqual(sparkline([NaN, NaN, 1, 1], 2), ['NaN', 1]);
  });
});
