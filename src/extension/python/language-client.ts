import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { LanguageNotifications, LanguageRequests, LensCommands, type KeysParams, type NameParams, type RunParams, type ScriptRunsParams } from '../../api/language-protocol';
import type { Services } from '../services';
import { StoreAnswers, type ScriptLocation } from './store-answers';

/** Data changes come in bursts while a script logs: lenses and diagnostics refresh at most this often. */
const REFRESH_DEBOUNCE_MS = 1000;
const PYTHON_DOCUMENTS = [
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
];

function isPython(document: vscode.TextDocument): boolean {
  return document.languageId === 'python' && (document.uri.scheme === 'file' || document.uri.scheme === 'untitled');
}

function scriptLocation(uri: string): ScriptLocation | undefined {
  const file = vscode.Uri.parse(uri);
  if (file.scheme !== 'file') return undefined;
  return { fsPath: file.fsPath, folders: (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath) };
}

function lensesEnabled(): boolean {
  return vscode.workspace.getConfiguration('runboard').get<boolean>('codeLens.enabled', true);
}

/**
 * Runboard's Python language server (dist/language-server.js) in its own process, started when the first
 * Python document opens (no process for workspaces that never open one), stopped with the extension. It
 * asks the backend through custom requests answered here, so it works the same against a remote server.
 */
export class PythonLanguageFeatures implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly answers: StoreAnswers;
  private readonly disposables: vscode.Disposable[] = [];
  private opener: vscode.Disposable | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly services: Services,
  ) {
    this.answers = new StoreAnswers(() => services.client, scriptLocation);
    if (vscode.workspace.textDocuments.some(isPython)) {
      this.start();
    } else {
      this.opener = vscode.workspace.onDidOpenTextDocument((document) => {
        if (isPython(document)) this.start();
      });
    }
    this.disposables.push(
      services.onDidChangeData(() => this.refreshSoon(REFRESH_DEBOUNCE_MS)),
      services.onDidChangeClient(() => this.refreshSoon(0)),
      ...(services.onDidChangeBackend ? [services.onDidChangeBackend(() => this.refreshSoon(0))] : []),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('runboard.codeLens.enabled')) this.refreshSoon(0);
      }),
    );
  }

  /** The running client, once a Python document opened (for tests). */
  get languageClient(): LanguageClient | undefined {
    return this.client;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.opener?.dispose();
    for (const disposable of this.disposables) disposable.dispose();
    void this.client?.dispose();
    this.client = undefined;
  }

  private start(): void {
    this.opener?.dispose();
    this.opener = undefined;
    if (this.client) return;
    const module = this.context.asAbsolutePath('dist/language-server.js');
    const serverOptions: ServerOptions = { module, transport: TransportKind.ipc };
    const clientOptions: LanguageClientOptions = {
      documentSelector: PYTHON_DOCUMENTS,
      outputChannelName: 'Runboard Python',
      middleware: {
        provideCodeLenses: async (document, token, next) => {
          if (!lensesEnabled()) return [];
          const lenses = (await next(document, token)) ?? [];
          for (const lens of lenses) withUriArguments(lens.command);
          return lenses;
        },
      },
    };
    const client = new LanguageClient('runboard.python', 'Runboard Python', serverOptions, clientOptions);
    this.client = client;
    const answers = this.answers;
    client.onRequest(LanguageRequests.scriptRuns, (params: ScriptRunsParams) => answers.scriptRuns(params.uri));
    client.onRequest(LanguageRequests.run, (params: RunParams) => answers.run(params.runId));
    client.onRequest(LanguageRequests.model, (params: NameParams) => answers.model(params.name));
    client.onRequest(LanguageRequests.experiment, (params: NameParams) => answers.experiment(params.name));
    client.onRequest(LanguageRequests.experimentNames, () => answers.experimentNames());
    client.onRequest(LanguageRequests.modelNames, () => answers.modelNames());
    client.onRequest(LanguageRequests.keys, (params: KeysParams) => answers.keys(params.experimentName));
    client.start().then(
      () => this.services.log.info('Python language server started'),
      (error: unknown) => this.services.log.error(`The Python language server did not start: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /** Throttled, not debounced: a script logging without pause still sees its lenses move once a second. */
  private refreshSoon(delay: number): void {
    if (this.refreshTimer && delay > 0) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.answers.clear();
      const client = this.client;
      if (client?.isRunning()) void client.sendNotification(LanguageNotifications.dataChanged, {});
    }, delay);
  }
}

/** The launcher commands take `{ uri: vscode.Uri }`; over the protocol the URI travels as a string. */
function withUriArguments(command: vscode.Command | undefined): void {
  if (!command || (command.command !== LensCommands.runScript && command.command !== LensCommands.debugScript)) return;
  command.arguments = command.arguments?.map((arg: unknown) =>
    typeof arg === 'object' && arg !== null && typeof (arg as { uri?: unknown }).uri === 'string' ? { uri: vscode.Uri.parse((arg as { uri: string }).uri) } : arg,
  );
}

export function registerPythonLanguage(context: vscode.ExtensionContext, services: Services): PythonLanguageFeatures {
  const features = new PythonLanguageFeatures(context, services);
  context.subscriptions.push(features);
  return features;
}
