// Concurrency: W writer processes (child_process.fork of writer.mjs), each on its own run, log-batch 10
// points per request (a training step's metrics) for S seconds, all starting together. Reports errors
// (any non-2xx answer or failed request) and throughput.
import { fork } from 'node:child_process';
import { percentile } from '../lib/stats.mjs';

const WRITER = new URL('./writer.mjs', import.meta.url).pathname;

export async function concurrency(api, { writers, seconds, pointsPerRequest }) {
  const experimentId = (await api.post('experiments/create', { name: 'concurrency' })).experiment_id;
  const children = Array.from({ length: writers }, (_, index) =>
    fork(WRITER, [api.base, experimentId, String(index), String(pointsPerRequest)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const message = (child, type, timeoutMs) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`writer ${child.pid}: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', (m) => m.type === type && (clearTimeout(timer), resolve(m)));
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`writer ${child.pid} exited with ${code} before '${type}'`))));
    });
  try {
    await Promise.all(children.map((child) => message(child, 'ready', 60_000)));
    const done = children.map((child) => message(child, 'done', 60_000 + seconds * 1000 * 2));
    const started = performance.now();
    for (const child of children) child.send({ type: 'go', seconds });
    const reports = await Promise.all(done);
    const wall = (performance.now() - started) / 1000;
    const ok = reports.reduce((n, r) => n + r.ok, 0);
    const errors = reports.reduce((n, r) => n + r.errors, 0);
    return {
      writers,
      seconds: wall,
      requests: ok + errors,
      errors,
      // Requests re-sent because a kept-alive socket had been closed while idle (never reached the server).
      retries: reports.reduce((n, r) => n + r.retries, 0),
      firstError: reports.find((r) => r.firstError)?.firstError,
      requestsPerSecond: ok / wall,
      pointsPerSecond: (ok * pointsPerRequest) / wall,
      p50Ms: percentile(reports.map((r) => r.p50Ms), 50),
      p95Ms: percentile(reports.map((r) => r.p95Ms), 50),
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}
