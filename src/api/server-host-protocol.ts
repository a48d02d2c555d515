/**
 * Messages between the extension host and the tracking-server worker thread it starts. The worker owns
 * the store (SQLite) and the HTTP server, so no long work runs on the extension host's own thread.
 */
export interface ServerWorkerOptions {
  /** Absolute folder of the store. */
  readonly storeDir: string;
  /** Preferred port; 0 or a taken port falls back to a free one. */
  readonly port: number;
  readonly token: string;
  /** The `runboard.store.driver` setting: `auto` or a driver's name (node:sqlite, better-sqlite3, wasm). */
  readonly sqliteDriver: string;
}

export type WorkerMessage =
  | {
      readonly type: 'ready';
      readonly url: string;
      readonly port: number;
      readonly startedInMs: number;
      /** The SQLite driver that serves the store and why the ones before it were passed over, in one line. */
      readonly driver: string;
    }
  | { readonly type: 'change'; readonly kind: 'experiment' | 'run' | 'model'; readonly id: string }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'failed'; readonly code: 'STORE_LOCKED' | 'NO_SQLITE_DRIVER' | 'DRIVER_FORCED' | 'PORT' | 'OTHER'; readonly message: string };

export type HostMessage = { readonly type: 'stop' };

/** Written beside the store while a server serves it, so a second window reuses that server. */
export interface ServerLease {
  readonly url: string;
  readonly pid: number;
  readonly startedAt: number;
}

export const LEASE_FILE = 'server.json';
export const LOCK_FILE = 'server.lock';

/** The token gate (dist/gate-worker.js) in front of MLflow's server on an opened store's Unix socket. */
export interface GateWorkerOptions {
  readonly socketPath: string;
  readonly token: string;
}

export type GateMessage =
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'failed'; readonly message: string };
