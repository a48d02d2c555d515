import { CodeLensRefreshRequest, TextDocuments, TextDocumentSyncKind, type Connection, type InitializeResult } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { LanguageNotifications } from '../api/language-protocol';
import { parseScript, type ScriptFacts } from './analysis';
import { complete } from './completion';
import { diagnose } from './diagnostics';
import { hover } from './hover';
import { lenses } from './lenses';
import { loadPythonParser } from './parser';
import { storeViewOver } from './store-view';

/** Diagnostics wait for typing to pause: each pass may ask the backend about every models:/ literal. */
const DIAGNOSTICS_DEBOUNCE_MS = 300;

/**
 * Runboard's Python language server on `connection`: hover, completion, diagnostics and lenses over the
 * mlflow calls and `runs:/` / `models:/` literals of open Python files. What the backend holds comes from
 * the extension host through the custom requests of src/api/language-protocol.ts.
 */
export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const store = storeViewOver(connection, (method, error) => connection.console.warn(`${method} failed: ${error instanceof Error ? error.message : String(error)}`));
  const facts = new Map<string, { version: number; facts: Promise<ScriptFacts> }>();
  const timers = new Map<string, NodeJS.Timeout>();
  let canRefreshLenses = false;

  const factsOf = (document: TextDocument): Promise<ScriptFacts> => {
    const cached = facts.get(document.uri);
    if (cached?.version === document.version) return cached.facts;
    const parsed = loadPythonParser().then((python) => parseScript(python, document.getText()));
    facts.set(document.uri, { version: document.version, facts: parsed });
    return parsed;
  };

  const publish = async (uri: string) => {
    const document = documents.get(uri);
    if (!document) return;
    const version = document.version;
    const diagnostics = await diagnose(document, await factsOf(document), store);
    // A newer edit scheduled its own pass; a closed document keeps its cleared diagnostics.
    if (documents.get(uri)?.version === version) await connection.sendDiagnostics({ uri, version, diagnostics });
  };
  const publishSoon = (uri: string, delay = DIAGNOSTICS_DEBOUNCE_MS) => {
    clearTimeout(timers.get(uri));
    timers.set(
      uri,
      setTimeout(() => {
        timers.delete(uri);
        publish(uri).catch((error: unknown) => connection.console.error(`Diagnostics of ${uri} failed: ${String(error)}`));
      }, delay),
    );
  };

  connection.onInitialize((params): InitializeResult => {
    canRefreshLenses = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['"', "'", '/', '@'] },
        codeLensProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'runboard-python' },
    };
  });

  documents.onDidChangeContent((event) => publishSoon(event.document.uri));
  documents.onDidClose((event) => {
    clearTimeout(timers.get(event.document.uri));
    timers.delete(event.document.uri);
    facts.delete(event.document.uri);
    void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });

  const withDocument = <T>(uri: string, empty: T, work: (document: TextDocument, facts: ScriptFacts) => Promise<T>): Promise<T> => {
    const document = documents.get(uri);
    return document ? factsOf(document).then((f) => work(document, f)) : Promise.resolve(empty);
  };
  connection.onHover((params) => withDocument(params.textDocument.uri, null, (document, f) => hover(document, f, document.offsetAt(params.position), store)));
  connection.onCompletion((params) => withDocument(params.textDocument.uri, [], (document, f) => complete(document, f, document.offsetAt(params.position), store)));
  connection.onCodeLens((params) => withDocument(params.textDocument.uri, [], (document, f) => lenses(document, f, store)));

  // The backend's data (or the backend) changed: lenses and diagnostics ask again.
  connection.onNotification(LanguageNotifications.dataChanged, () => {
    for (const document of documents.all()) publishSoon(document.uri, 0);
    if (canRefreshLenses) void connection.sendRequest(CodeLensRefreshRequest.type);
  });

  documents.listen(connection);
  connection.listen();
}
