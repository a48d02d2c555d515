// The language server process (dist/language-server.js), started by the extension over node IPC.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './python-server';

startServer(createConnection(ProposedFeatures.all));
