import type { Argument, Literal, MlflowCall, ScriptFacts, StringLiteral } from './analysis';

/** Where a string literal sits among mlflow calls: the call, and which role the string plays in it. */
export type StringRole =
  | { readonly kind: 'experimentName' }
  | { readonly kind: 'metricKey' }
  | { readonly kind: 'paramKey' }
  | { readonly kind: 'tagKey' }
  | { readonly kind: 'other' };

/** Functions whose first argument (or `key=`) is a metric, param or tag key, and the dict-taking batch forms. */
const KEY_FUNCTIONS: Record<string, 'metricKey' | 'paramKey' | 'tagKey'> = { log_metric: 'metricKey', log_param: 'paramKey', set_tag: 'tagKey' };
const DICT_FUNCTIONS: Record<string, 'metricKey' | 'paramKey' | 'tagKey'> = { log_metrics: 'metricKey', log_params: 'paramKey', set_tags: 'tagKey' };

/** The string literal whose content holds `offset` (an end offset counts: the cursor after the last letter). */
export function stringAt(facts: ScriptFacts, offset: number): StringLiteral | undefined {
  return facts.strings.find((s) => s.content.start <= offset && offset <= s.content.end);
}

/** The argument at `position` or with that keyword. */
export function argument(call: MlflowCall, position: number, keyword: string): Argument | undefined {
  return call.arguments.find((a) => a.keyword === keyword) ?? call.arguments.filter((a) => a.keyword === undefined)[position];
}

/** Every string literal that names a metric, param or tag key in a logging call, with its role. */
export function keyLiterals(facts: ScriptFacts): { call: MlflowCall; role: 'metricKey' | 'paramKey' | 'tagKey'; key: Extract<Literal, { kind: 'string' }>; value: Literal | undefined }[] {
  const found: ReturnType<typeof keyLiterals> = [];
  for (const call of facts.calls) {
    const single = KEY_FUNCTIONS[call.name];
    if (single) {
      const key = argument(call, 0, 'key')?.literal;
      if (key?.kind === 'string') found.push({ call, role: single, key, value: argument(call, 1, 'value')?.literal });
    }
    const batch = DICT_FUNCTIONS[call.name];
    if (batch) {
      const dict = argument(call, 0, batch === 'metricKey' ? 'metrics' : batch === 'paramKey' ? 'params' : 'tags')?.literal;
      if (dict?.kind !== 'dict') continue;
      for (const entry of dict.entries) if (entry.key?.kind === 'string') found.push({ call, role: batch, key: entry.key, value: entry.value });
    }
  }
  return found;
}

/** The literal `set_experiment("name")` names (first argument or `experiment_name=`). */
export function experimentNameLiteral(call: MlflowCall): Extract<Literal, { kind: 'string' }> | undefined {
  if (call.name !== 'set_experiment') return undefined;
  const literal = argument(call, 0, 'experiment_name')?.literal;
  return literal?.kind === 'string' ? literal : undefined;
}

/** What the string at `offset` is for. */
export function roleOf(facts: ScriptFacts, literal: StringLiteral): StringRole {
  const same = (l: Literal | undefined) => l?.kind === 'string' && l.content.start === literal.content.start;
  for (const call of facts.calls) if (same(experimentNameLiteral(call))) return { kind: 'experimentName' };
  for (const key of keyLiterals(facts)) if (same(key.key)) return { kind: key.role };
  return { kind: 'other' };
}

/** The experiment the script logs into, when it names one with a literal. */
export function scriptExperiment(facts: ScriptFacts): string | undefined {
  for (const call of facts.calls) {
    const name = experimentNameLiteral(call);
    if (name) return name.value;
  }
  return undefined;
}

/** Where the run lenses go: the first `mlflow.start_run(` or autolog call, else the mlflow import. */
export function lensAnchor(facts: ScriptFacts): { start: number; end: number } | undefined {
  const call = facts.calls.find((c) => c.name === 'start_run' || c.name === 'autolog' || c.name.endsWith('.autolog'));
  return call?.span ?? facts.mlflowImport;
}
