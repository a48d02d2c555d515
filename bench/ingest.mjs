// `npm run bench:ingest`: just the ingest workload (bench/workloads/ingest.mjs) against a fresh
// `runboard serve`, or against each server named with --servers runboard,mlflow. Prints points per second.
// BENCH_POINTS (default 100k) and BENCH_WRITERS (default 1) size it. A measurement, never a test.
import { parseArgs } from 'node:util';
import { client } from './lib/http.mjs';
import { startServer } from './lib/servers.mjs';
import { ingest } from './workloads/ingest.mjs';

const { values } = parseArgs({ options: { servers: { type: 'string', default: 'runboard' } } });
const points = Number(process.env.BENCH_POINTS ?? 100_000);
const writers = Number(process.env.BENCH_WRITERS ?? 1);
const batch = 1000;
const batchesPerWriter = Math.max(1, Math.ceil(points / writers / batch));

for (const name of values.servers.split(',')) {
  const server = await startServer(name);
  const api = client(server.url);
  try {
    const result = await ingest(api, { writers, batch, batchesPerWriter, maxSeconds: 120, rounds: 1 });
    const { points: sent, requests, seconds } = result.rounds[0];
    console.log(
      `ingest ${name}: ${sent} points in ${requests} log-batch calls from ${writers} writer(s): ${seconds.toFixed(2)} s, ${Math.round(result.pointsPerSecond).toLocaleString('en-US')} points/s`,
    );
  } finally {
    api.close();
    await server.stop();
  }
}
