import type { Node, Tree } from 'web-tree-sitter';
import type { PythonParser } from './parser';

/** A stretch of the document in UTF-16 offsets (what web-tree-sitter reports for a JS string, and LSP uses). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A Python literal whose value is known without running the script. */
export type Literal =
  | { readonly kind: 'string'; readonly value: string; readonly content: Span }
  /** Numbers, True/False/None: `text` is what `str()` gives in Python (what MLflow stores for a param). */
  | { readonly kind: 'number' | 'constant'; readonly text: string }
  | { readonly kind: 'dict'; readonly entries: readonly DictEntry[] };

export interface DictEntry {
  readonly key: Literal | undefined;
  readonly value: Literal | undefined;
}

export interface Argument {
  readonly keyword: string | undefined;
  readonly span: Span;
  readonly literal: Literal | undefined;
}

/** A call of an mlflow function, whatever name the file imported it under. */
export interface MlflowCall {
  /** The function's path under `mlflow`: `log_param`, `start_run`, `sklearn.autolog`. */
  readonly name: string;
  readonly span: Span;
  readonly arguments: readonly Argument[];
  /** The run this call logs into, as far as the code shows: its `with mlflow.start_run()` block, function or module. */
  readonly scope: number;
}

/** A plain string literal (no f-string interpolation) and where its content sits. */
export interface StringLiteral {
  readonly value: string;
  readonly content: Span;
}

/** What the language server knows about a Python file. */
export interface ScriptFacts {
  /** The first `import mlflow` / `from mlflow ... import`, if any. */
  readonly mlflowImport: Span | undefined;
  /** The `if __name__ == "__main__":` statement, if any. */
  readonly mainBlock: Span | undefined;
  readonly calls: readonly MlflowCall[];
  readonly strings: readonly StringLiteral[];
}

export function parseScript(python: PythonParser, text: string): ScriptFacts {
  const tree = python.parser.parse(text);
  if (!tree) return { mlflowImport: undefined, mainBlock: undefined, calls: [], strings: [] };
  try {
    return analyze(python, tree, text);
  } finally {
    tree.delete();
  }
}

function spanOf(node: Node): Span {
  return { start: node.startIndex, end: node.endIndex };
}

function analyze(python: PythonParser, tree: Tree, text: string): ScriptFacts {
  const source = (node: Node) => text.slice(node.startIndex, node.endIndex);
  // Names bound to the mlflow module (`mlflow`, `mf`), and names imported from it (`log_param` → `log_param`).
  const moduleNames = new Set<string>();
  const importedFunctions = new Map<string, string>();
  let mlflowImport: Span | undefined;
  let mainBlock: Span | undefined;
  const callNodes: { node: Node; function: Node; arguments: Node }[] = [];
  const strings: StringLiteral[] = [];

  for (const match of python.query.matches(tree.rootNode)) {
    const capture = (name: string) => match.captures.find((c) => c.name === name)?.node;
    const imported = capture('import');
    const from = capture('from');
    const call = capture('call');
    if (imported) {
      const module = source(capture('import.module')!);
      if (module !== 'mlflow' && !module.startsWith('mlflow.')) continue;
      mlflowImport ??= spanOf(imported);
      const alias = capture('import.alias');
      if (alias) {
        // `import mlflow.sklearn as s` binds the submodule, not mlflow: calls through it are not followed.
        if (module === 'mlflow') moduleNames.add(source(alias));
      } else {
        moduleNames.add('mlflow');
      }
    } else if (from) {
      const module = source(capture('from.module')!);
      if (module !== 'mlflow') {
        if (module.startsWith('mlflow.')) mlflowImport ??= spanOf(from);
        continue;
      }
      mlflowImport ??= spanOf(from);
      const name = source(capture('from.name')!);
      const alias = capture('from.alias');
      importedFunctions.set(alias ? source(alias) : name, name);
    } else if (call) {
      callNodes.push({ node: call, function: capture('call.function')!, arguments: capture('call.arguments')! });
    } else if (capture('main')) {
      mainBlock ??= spanOf(capture('main')!);
    } else {
      const literal = stringLiteral(capture('string')!, text);
      if (literal) strings.push({ value: literal.value, content: literal.content });
    }
  }

  const resolved = callNodes.flatMap(({ node, function: callee, arguments: args }) => {
    const name = mlflowFunction(source(callee).replace(/\s+/g, ''), moduleNames, importedFunctions);
    return name === undefined ? [] : [{ node, name, args }];
  });
  // The `with mlflow.start_run() [as run]:` statements: with_statement > with_clause > with_item > [as_pattern >] call.
  const runBlocks = new Set<number>();
  for (const { node, name } of resolved) {
    if (name !== 'start_run') continue;
    let up = node.parent;
    if (up?.type === 'as_pattern') up = up.parent;
    const withStatement = up?.type === 'with_item' ? up.parent?.parent : undefined;
    if (withStatement?.type === 'with_statement') runBlocks.add(withStatement.id);
  }
  // The scope of a call: its innermost `with mlflow.start_run()` block, else its function, else the module (0).
  const scopeOf = (node: Node): number => {
    let up: Node | null = node;
    while (up && !(up.type === 'with_statement' && runBlocks.has(up.id)) && up.type !== 'function_definition') up = up.parent;
    return up?.id ?? 0;
  };
  const calls: MlflowCall[] = resolved.map(({ node, name, args }) => ({ name, span: spanOf(node), arguments: argumentsOf(args, text), scope: scopeOf(node) }));
  return { mlflowImport, mainBlock, calls, strings };
}

/** `mlflow.log_param` → `log_param`; `mf.sklearn.autolog` → `sklearn.autolog`; `log_param` (imported) → `log_param`. */
function mlflowFunction(callee: string, moduleNames: ReadonlySet<string>, importedFunctions: ReadonlyMap<string, string>): string | undefined {
  const parts = callee.split('.');
  if (parts.length === 1) return importedFunctions.get(parts[0]!);
  if (moduleNames.has(parts[0]!)) return parts.slice(1).join('.');
  return undefined;
}

function argumentsOf(list: Node, text: string): Argument[] {
  const args: Argument[] = [];
  for (const child of list.namedChildren) {
    if (!child || child.type === 'comment') continue;
    if (child.type === 'keyword_argument') {
      const name = child.childForFieldName('name');
      const value = child.childForFieldName('value');
      args.push({ keyword: name ? text.slice(name.startIndex, name.endIndex) : undefined, span: spanOf(value ?? child), literal: value ? literalOf(value, text) : undefined });
    } else {
      args.push({ keyword: undefined, span: spanOf(child), literal: literalOf(child, text) });
    }
  }
  return args;
}

function literalOf(node: Node, text: string): Literal | undefined {
  const source = text.slice(node.startIndex, node.endIndex);
  switch (node.type) {
    case 'string':
      return stringLiteral(node, text);
    case 'integer':
      return { kind: 'number', text: pythonInt(source) };
    case 'float':
      return { kind: 'number', text: pythonFloat(source) };
    case 'true':
    case 'false':
    case 'none':
      return { kind: 'constant', text: source };
    case 'unary_operator': {
      const operand = node.childForFieldName('argument');
      const inner = operand ? literalOf(operand, text) : undefined;
      return inner?.kind === 'number' && source.trimStart().startsWith('-') ? { kind: 'number', text: inner.text.startsWith('-') ? inner.text.slice(1) : `-${inner.text}` } : undefined;
    }
    case 'dictionary': {
      const entries: DictEntry[] = [];
      for (const pair of node.namedChildren) {
        if (pair?.type !== 'pair') continue;
        const key = pair.childForFieldName('key');
        const value = pair.childForFieldName('value');
        entries.push({ key: key ? literalOf(key, text) : undefined, value: value ? literalOf(value, text) : undefined });
      }
      return { kind: 'dict', entries };
    }
    default:
      return undefined;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

/** The value of a string literal without interpolation (f-strings with `{}` and byte strings have none we can know). */
function stringLiteral(node: Node, text: string): { kind: 'string'; value: string; content: Span } | undefined {
  const start = node.child(0);
  const end = node.child(node.childCount - 1);
  if (!start || !end || start.type !== 'string_start' || end.type !== 'string_end') return undefined;
  const prefix = text.slice(start.startIndex, start.endIndex).toLowerCase();
  if (prefix.includes('b')) return undefined;
  const raw = prefix.includes('r');
  let value = '';
  for (const child of node.children) {
    if (!child || child.type === 'string_start' || child.type === 'string_end') continue;
    if (child.type === 'interpolation') return undefined;
    const piece = text.slice(child.startIndex, child.endIndex);
    value += child.type === 'escape_sequence' && !raw ? (SIMPLE_ESCAPES[piece.slice(1)] ?? piece) : piece;
  }
  return { kind: 'string', value, content: { start: start.endIndex, end: end.startIndex } };
}

/** `str(1_000)` is `1000`; `str(0x10)` is `16`. */
function pythonInt(source: string): string {
  const digits = source.replace(/_/g, '').toLowerCase();
  try {
    if (/^0[box]/.test(digits)) return BigInt(digits).toString();
    return BigInt(digits.replace(/^0+(?=\d)/, '')).toString();
  } catch {
    return digits;
  }
}

/** Close to Python's float repr: `1.0`, `0.001`, `1e-05`, `1e+16` (what `str(value)` gives for a param). */
function pythonFloat(source: string): string {
  const value = Number(source.replace(/_/g, ''));
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent] = value.toExponential().split('e');
    const sign = exponent!.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent!.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  const text = String(value);
  return Number.isInteger(value) ? `${text}.0` : text;
}
