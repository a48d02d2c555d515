import * as vscode from 'vscode';
import { MlflowApiError } from '../../client/mlflow-client';
import { escapeMarkdown } from './format';

/** A row that only says something: an error, or "no runs match the filter". */
export interface MessageNode {
  readonly kind: 'message';
  readonly id: string;
  readonly text: string;
  readonly tooltip?: string;
  readonly icon: 'error' | 'info';
  readonly parent: unknown;
}

export function messageNode(parentId: string, parent: unknown, text: string, icon: 'error' | 'info', tooltip?: string): MessageNode {
  return { kind: 'message', id: `${parentId}/message`, text, icon, parent, ...(tooltip ? { tooltip } : {}) };
}

export function messageItem(node: MessageNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = node.icon === 'error' ? 'message.error' : 'message';
  item.iconPath = node.icon === 'error' ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')) : new vscode.ThemeIcon('info');
  item.tooltip = node.tooltip ?? node.text;
  return item;
}

export function errorMessage(error: unknown): string {
  if (error instanceof MlflowApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * No answer from the server (it went away, or a proxy in front of it says it is down): a view keeps the rows
 * it shows, and the status bar and the views' message say they are stale, instead of error rows.
 */
export function isConnectionLost(error: unknown): boolean {
  return error instanceof MlflowApiError && (error.code === 'UNREACHABLE' || error.status === 502 || error.status === 503 || error.status === 504);
}

/** Registry routes a server does not serve (an old MLflow, or a store without a registry). */
export function isMissingEndpoint(error: unknown): boolean {
  return error instanceof MlflowApiError && (error.code === 'ENDPOINT_NOT_FOUND' || error.code === 'NOT_IMPLEMENTED' || (error.status === 404 && error.code !== 'RESOURCE_DOES_NOT_EXIST'));
}

/** A tooltip of `**Label** value` lines; values are escaped unless given as code. */
export class Tooltip {
  private readonly lines: string[] = [];

  title(text: string): this {
    this.lines.push(`**${escapeMarkdown(text)}**`);
    return this;
  }

  field(label: string, value: string | undefined, options: { code?: boolean } = {}): this {
    if (value === undefined || value === '') return this;
    const shown = options.code && !value.includes('`') ? `\`${value}\`` : escapeMarkdown(value);
    this.lines.push(`${escapeMarkdown(label)}: ${shown}`);
    return this;
  }

  text(text: string): this {
    this.lines.push(escapeMarkdown(text));
    return this;
  }

  build(): vscode.MarkdownString {
    const markdown = new vscode.MarkdownString(this.lines.join('  \n'));
    markdown.supportThemeIcons = false;
    return markdown;
  }
}

export function formatTimestamp(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return undefined;
  return new Date(ms).toLocaleString();
}

/** `runboard.runs.pageSize`, clamped to what the manifest allows. */
export function runsPageSize(): number {
  const configured = vscode.workspace.getConfiguration('runboard').get<number>('runs.pageSize', 200);
  return Number.isFinite(configured) ? Math.min(5000, Math.max(10, Math.floor(configured))) : 200;
}

const FIRST_RETRY_MS = 5000;
const MAX_RETRY_MS = 60_000;

/**
 * A view's failed loads try again on their own, so an error row from a passing failure (a 500, a timeout, a
 * server that was restarting) goes away without a manual refresh: first after 5 s, then twice as long each
 * time up to a minute, back to 5 s once a load works. Not for refused credentials: those wait for the user.
 */
export class LoadRetry implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private delayMs = FIRST_RETRY_MS;

  constructor(private readonly retry: () => void) {}

  /** A load failed with `error`: the failed parts are retried after the current delay (one timer at a time). */
  failed(error: unknown): void {
    if (this.timer || isRefused(error)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retry();
    }, this.delayMs);
    this.delayMs = Math.min(MAX_RETRY_MS, this.delayMs * 2);
  }

  /** A load worked: the next failure is retried soon again. */
  succeeded(): void {
    this.delayMs = FIRST_RETRY_MS;
  }

  /** Another client: nothing of the previous one is retried. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.delayMs = FIRST_RETRY_MS;
  }

  dispose(): void {
    this.cancel();
  }
}

function isRefused(error: unknown): boolean {
  return error instanceof MlflowApiError && (error.code === 'UNAUTHENTICATED' || error.code === 'PERMISSION_DENIED' || error.status === 401 || error.status === 403);
}
