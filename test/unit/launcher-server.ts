// What the launcher tests share: a real Runboard server on a temporary store, the real interpreter, the
// fixture scripts. Not a test file itself (the runner takes *.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { MlflowClient } from '../../src/client/mlflow-client';
import { startServer, type RunningServer } from '../../src/server/server';
import { TrackingStore } from '../../src/store/tracking-store';

export const PYTHON = resolve('.venv/bin/python');
export const FIXTURES = join(__dirname, 'fixtures', 'launcher');

export interface LauncherServer {
  /** The temporary folder (store, logs, outputs). */
  readonly dir: string;
  readonly url: string;
  readonly client: MlflowClient;
  /** What a script needs to log into the server. */
  readonly env: Record<string, string>;
}

/**
 * Starts the server before the file's tests (then `ready`, in the same hook: a second top-level hook may run
 * before this one's server is up) and removes everything after; read it inside tests.
 */
export function useLauncherServer(name: string, ready?: (server: LauncherServer) => void | Promise<void>): () => LauncherServer {
  const token = `${name}-token`;
  let current: LauncherServer | undefined;
  let store: TrackingStore;
  let server: RunningServer;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), `runboard-${name}-`));
    store = TrackingStore.open(join(dir, 'store'));
    server = await startServer({ store, artifactRoot: join(dir, 'store', 'artifacts'), port: 0, token });
    current = {
      dir,
      url: server.url,
      client: new MlflowClient({ baseUrl: server.url, credentials: { kind: 'bearer', token } }),
      env: { MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: token },
    };
    await ready?.(current);
  });
  after(async () => {
    await server?.close();
    store?.close();
    if (current) rmSync(current.dir, { recursive: true, force: true });
  });
  return () => {
    if (!current) throw new Error('the launcher test server did not start');
    return current;
  };
}
