import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Language, Parser, Query } from 'web-tree-sitter';

/** The parser with the Python grammar and Runboard's query, loaded once per process. */
export interface PythonParser {
  readonly parser: Parser;
  readonly query: Query;
}

/**
 * Beside this module first (dist/ ships tree-sitter.wasm, tree-sitter-python.wasm and the query next to
 * dist/language-server.js), else from node_modules (tests and tools running the sources).
 */
function locate(file: string, packageFile: string): string {
  const beside = join(__dirname, file);
  if (existsSync(beside)) return beside;
  return createRequire(__filename).resolve(packageFile);
}

let loading: Promise<PythonParser> | undefined;

export function loadPythonParser(): Promise<PythonParser> {
  loading ??= (async () => {
    const runtime = locate('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm');
    await Parser.init({ locateFile: () => runtime });
    const language = await Language.load(locate('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'));
    const source = await readFile(join(__dirname, 'python-mlflow.scm'), 'utf8');
    const parser = new Parser();
    parser.setLanguage(language);
    return { parser, query: new Query(language, source) };
  })();
  return loading;
}
