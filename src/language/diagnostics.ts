import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { keyProblem } from '../api/mlflow-keys';
import type { Literal, ScriptFacts, Span } from './analysis';
import { keyLiterals } from './locate';
import { resolveModelTarget } from './model-resolution';
import { MODELS_SCHEME, parseModelUri } from './model-uri';
import type { StoreView } from './store-view';

export const SOURCE = 'runboard';

/**
 * Problems MLflow would raise when the script runs: `models:/` targets that do not exist, keys it rejects,
 * and a param logged twice in one run with different values (INVALID_PARAMETER_VALUE on the second).
 */
export async function diagnose(document: TextDocument, facts: ScriptFacts, store: StoreView): Promise<Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  const add = (span: Span, severity: DiagnosticSeverity, message: string, code: string) =>
    diagnostics.push({ range: { start: document.positionAt(span.start), end: document.positionAt(span.end) }, severity, message, code, source: SOURCE });

  for (const { key } of keyLiterals(facts)) {
    const problem = keyProblem(key.value);
    if (problem) add(key.content, DiagnosticSeverity.Error, problem, 'invalid-key');
  }

  duplicateParams(facts, (span, message) => add(span, DiagnosticSeverity.Warning, message, 'param-changed'));

  await Promise.all(
    facts.strings
      .filter((literal) => literal.value.startsWith(MODELS_SCHEME))
      .map(async (literal) => {
        const target = parseModelUri(literal.value);
        if (target.kind === 'malformed') return add(literal.content, DiagnosticSeverity.Error, target.message, 'model-uri');
        if (target.kind === 'modelId') return;
        const model = await store.model(target.name);
        if (!model) return;
        const resolution = resolveModelTarget(target, model);
        if ('problem' in resolution) add(literal.content, DiagnosticSeverity.Error, `${resolution.problem} Loading ${literal.value} will fail.`, 'model-missing');
      }),
  );
  return diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

/** What MLflow stores for a literal param value (`str(value)`), or undefined when the code does not say. */
function storedValue(literal: Literal | undefined): string | undefined {
  if (!literal) return undefined;
  if (literal.kind === 'string') return literal.value;
  if (literal.kind === 'number' || literal.kind === 'constant') return literal.text;
  return undefined;
}

function duplicateParams(facts: ScriptFacts, report: (span: Span, message: string) => void): void {
  const first = new Map<string, { value: string; span: Span }>();
  for (const { call, role, key, value } of keyLiterals(facts)) {
    if (role !== 'paramKey') continue;
    const stored = storedValue(value);
    if (stored === undefined) continue;
    const id = `${call.scope}\0${key.value}`;
    const earlier = first.get(id);
    if (!earlier) {
      first.set(id, { value: stored, span: key.content });
    } else if (earlier.value !== stored) {
      report(
        key.content,
        `Param '${key.value}' is logged again in the same run with another value ('${stored}' after '${earlier.value}'): MLflow rejects the second value (INVALID_PARAMETER_VALUE). Use one value, or log it in another run.`,
      );
    }
  }
}
