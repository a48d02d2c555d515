import * as vscode from 'vscode';
import { predictionsHtml, type PredictionsView } from '../launcher/predictions-html';

/** A read-only panel with the predictions table (no script runs in it). */
export function showPredictions(view: PredictionsView): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel('runboard.predictions', `Predictions: ${view.title}`, vscode.ViewColumn.Active, { enableScripts: false, localResourceRoots: [] });
  panel.webview.html = predictionsHtml(view);
  return panel;
}
