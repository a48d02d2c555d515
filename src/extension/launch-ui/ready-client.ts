import * as vscode from 'vscode';
import type { MlflowClient } from '../../client/mlflow-client';
import type { Services } from '../services';

/** How long a command waits for a starting server (or a connecting remote) before saying so. */
const WAIT_MS = 30_000;

/**
 * The backend's client. A command run while the server is still starting (a CodeLens clicked right after the
 * window opened) waits for it, with a progress notification; if none is ready in time, says what to do.
 */
export async function readyClient(services: Services): Promise<MlflowClient | undefined> {
  const ready = () => (services.client && services.backend?.url ? services.client : undefined);
  const now = ready();
  if (now) return now;
  const client = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Runboard: waiting for the tracking server…', cancellable: true },
    (_progress, token) =>
      new Promise<MlflowClient | undefined>((resolve) => {
        const done = (value: MlflowClient | undefined) => {
          clearTimeout(timer);
          subscription.dispose();
          resolve(value);
        };
        const timer = setTimeout(() => done(undefined), WAIT_MS);
        const subscription = services.onDidChangeClient(() => {
          const client = ready();
          if (client) done(client);
        });
        token.onCancellationRequested(() => done(undefined));
      }),
  );
  if (client) return client;
  void vscode.window
    .showErrorMessage(
      services.backend?.kind === 'remote'
        ? 'Runboard: the MLflow server is not connected. Check the connection (Runboard: Connect to MLflow Server...), then try again.'
        : 'Runboard: the tracking server is not running. Restart it (Runboard: Restart Tracking Server) or see its log, then try again.',
      'Show Log',
    )
    .then((answer) => answer && services.log.show());
  return undefined;
}
