/**
 * The predictions table: a static page (no script at all, CSP default-src 'none') with the input's columns
 * beside the model's predictions when the row counts match. No `vscode` import.
 */
import { randomBytes } from 'node:crypto';
import type { Predictions } from './model-cli';

/** Rows beyond this are in the saved file only: a table of a million rows helps nobody. */
export const MAX_SHOWN_ROWS = 2000;

export interface PredictionsView {
  readonly title: string;
  readonly predictions: Predictions;
  /** The CSV input, shown beside the predictions when it has as many rows. */
  readonly input?: { columns: string[]; rows: unknown[][] } | undefined;
  readonly savedTo: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return escapeHtml(typeof value === 'object' ? JSON.stringify(value) : String(value));
}

export function predictionsHtml(view: PredictionsView): string {
  const nonce = randomBytes(18).toString('base64').replace(/[+/=]/g, '');
  const { predictions } = view;
  const input = view.input && view.input.rows.length === predictions.rows.length ? view.input : undefined;
  const inputColumns = input?.columns ?? [];
  const shown = predictions.rows.slice(0, MAX_SHOWN_ROWS);
  const header = [...inputColumns.map((c) => `<th class="input">${escapeHtml(c)}</th>`), ...predictions.columns.map((c) => `<th class="prediction">${escapeHtml(c)}</th>`)].join('');
  const body = shown
    .map((row, index) => {
      const inputCells = (input?.rows[index] ?? []).map((value) => `<td class="input">${cell(value)}</td>`).join('');
      return `<tr><td class="index">${index}</td>${inputCells}${row.map((value) => `<td class="prediction">${cell(value)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const more = predictions.rows.length > shown.length ? `<p>Showing the first ${shown.length} of ${predictions.rows.length} rows; all are in the saved file.</p>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'">
<title>${escapeHtml(view.title)}</title>
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 16px 16px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 2px 10px; border-bottom: 1px solid var(--vscode-panel-border); text-align: right; white-space: nowrap; }
th { position: sticky; top: 0; background: var(--vscode-editor-background); font-weight: 600; }
th.prediction, td.prediction { background: var(--vscode-editor-selectionHighlightBackground); }
td.index { color: var(--vscode-descriptionForeground); }
.saved { color: var(--vscode-descriptionForeground); }
</style>
</head>
<body>
<h2>${escapeHtml(view.title)}</h2>
<p class="saved">${predictions.rows.length} predictions · saved to <code>${escapeHtml(view.savedTo)}</code></p>
${more}
<table data-testid="predictions-table">
<thead><tr><th class="index">#</th>${header}</tr></thead>
<tbody>
${body}
</tbody>
</table>
</body>
</html>`;
}
