/**
 * Entry of the token-gate worker thread (dist/gate-worker.js) the extension starts in front of MLflow's
 * server on an opened store: see gate.ts. A thread of its own keeps proxying off the extension host's thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { GateMessage, GateWorkerOptions, HostMessage } from '../api/server-host-protocol';
import { startGate } from './gate';

const options = workerData as GateWorkerOptions;
const post = (message: GateMessage) => parentPort?.postMessage(message);

startGate({ socketPath: options.socketPath, token: options.token, log: (line) => post({ type: 'log', line }) }).then(
  (gate) => {
    post({ type: 'ready', url: gate.url });
    parentPort?.on('message', (message: HostMessage) => {
      if (message.type === 'stop') void gate.close().finally(() => parentPort?.close());
    });
  },
  (error: unknown) => post({ type: 'failed', message: String((error as Error).message ?? error) }),
);
