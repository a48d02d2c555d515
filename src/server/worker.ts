/**
 * Entry of the tracking-server worker thread (dist/server-worker.js) that the VS Code extension starts:
 * it owns the store and the HTTP server, so SQLite work never blocks the extension host's thread.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { LEASE_FILE, LOCK_FILE, type HostMessage, type ServerLease, type ServerWorkerOptions, type WorkerMessage } from '../api/server-host-protocol';
import { chooseDriver, describeDriverChoice, ForcedDriverError, parseDriverPreference, type DriverChoice } from '../store/drivers/open';
import { TrackingStore } from '../store/tracking-store';
import { startServer, type RunningServer } from './server';
import { acquireStoreLock } from './store-lock';

const options = workerData as ServerWorkerOptions;
const post = (message: WorkerMessage) => parentPort?.postMessage(message);
const started = performance.now();

async function main(): Promise<void> {
  const lockPath = join(options.storeDir, LOCK_FILE);
  const leasePath = join(options.storeDir, LEASE_FILE);
  mkdirSync(options.storeDir, { recursive: true });
  if (!acquireStoreLock(lockPath)) {
    post({ type: 'failed', code: 'STORE_LOCKED', message: `Another process serves the store in ${options.storeDir}.` });
    return;
  }
  let choice: DriverChoice;
  try {
    choice = chooseDriver(parseDriverPreference(options.sqliteDriver));
  } catch (error) {
    rmSync(lockPath, { force: true });
    const forced = error instanceof ForcedDriverError;
    post({ type: 'failed', code: forced ? 'DRIVER_FORCED' : 'NO_SQLITE_DRIVER', message: String((error as Error).message ?? error) });
    return;
  }
  let store: TrackingStore;
  try {
    store = TrackingStore.open(options.storeDir, { driverChoice: choice });
  } catch (error) {
    rmSync(lockPath, { force: true });
    post({ type: 'failed', code: 'OTHER', message: String((error as Error).message ?? error) });
    return;
  }
  const serve = (port: number) =>
    startServer({
      store,
      artifactRoot: join(options.storeDir, 'artifacts'),
      port,
      token: options.token,
      onChange: (change) => post({ type: 'change', kind: change.kind, id: change.id }),
      log: (line) => post({ type: 'log', line }),
    });
  let server: RunningServer;
  try {
    server = await serve(options.port).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' || options.port === 0) throw error;
      post({ type: 'log', line: `Port ${options.port} is taken; serving on a free port instead.` });
      return serve(0);
    });
  } catch (error) {
    store.close();
    rmSync(lockPath, { force: true });
    post({ type: 'failed', code: 'PORT', message: String((error as Error).message ?? error) });
    return;
  }
  const lease: ServerLease = { url: server.url, pid: process.pid, startedAt: Date.now() };
  writeFileSync(leasePath, JSON.stringify(lease));
  post({ type: 'ready', url: server.url, port: server.port, startedInMs: Math.round(performance.now() - started), driver: describeDriverChoice(choice) });

  parentPort?.on('message', (message: HostMessage) => {
    if (message.type !== 'stop') return;
    void server.close().finally(() => {
      store.close();
      rmSync(leasePath, { force: true });
      rmSync(lockPath, { force: true });
      parentPort?.close();
    });
  });
}

void main();
