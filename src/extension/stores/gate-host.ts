/**
 * Starts and stops the token gate (dist/gate-worker.js, a worker thread) that stands in front of MLflow's
 * server on an opened store. No `vscode` import: node:test drives it with the built worker.
 */
import { Worker } from 'node:worker_threads';
import type { GateMessage, GateWorkerOptions, HostMessage } from '../../api/server-host-protocol';

export interface Gate {
  /** What clients call: http://127.0.0.1:PORT, with the token as a bearer token. */
  readonly url: string;
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 5_000;

export function startGateWorker(script: string, options: GateWorkerOptions, log: (line: string) => void = () => {}): Promise<Gate> {
  const worker = new Worker(script, { workerData: options });
  const stop = async () => {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ type: 'stop' } satisfies HostMessage);
    const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<Gate>((resolve, reject) => {
    worker.on('message', (message: GateMessage) => {
      if (message.type === 'ready') resolve({ url: message.url, stop });
      else if (message.type === 'log') log(message.line);
      else {
        reject(new Error(`The token gate in front of MLflow's server did not start: ${message.message}`));
        void worker.terminate();
      }
    });
    worker.once('error', (error) => reject(new Error(`The token gate in front of MLflow's server failed: ${error.message}`)));
    worker.once('exit', (code) => reject(new Error(`The token gate in front of MLflow's server exited (${code}) before it was ready.`)));
  });
}
