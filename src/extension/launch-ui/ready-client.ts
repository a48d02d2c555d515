import * as vscode from 'vscode';
import type { MlflowClient } from '../../client/mlflow-client';
import type { Services } from '../services';

/** The backend's client, or undefined after telling the user what to do. */
export function readyClient(services: Services): MlflowClient | undefined {
  const client = services.client;
  if (client && services.backend?.url) return client;
  void vscode.window
    .showErrorMessage(
      services.backend?.kind === 'remote'
        ? 'Runboard: the MLflow server is not connected yet. Wait for it, or check the connection (Runboard: Connect to MLflow Server...).'
        : 'Runboard: the tracking server is not running yet. Wait for it to start, or restart it (Runboard: Restart Tracking Server).',
      'Show Log',
    )
    .then((answer) => answer && services.log.show());
  return undefined;
}
