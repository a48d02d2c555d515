import { CompletionItemKind, type CompletionItem, type Range } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ScriptFacts } from './analysis';
import { versionLine } from './hover';
import { roleOf, scriptExperiment, stringAt } from './locate';
import { STAGES } from './model-resolution';
import { MODELS_SCHEME } from './model-uri';
import type { StoreView } from './store-view';

/**
 * Completion inside string literals: `models:/` names, then versions, stages and `@`aliases; experiment
 * names in `set_experiment("|")`; metric, param and tag keys already used in the experiment the script sets
 * (else in recent runs of any experiment).
 */
export async function complete(document: TextDocument, facts: ScriptFacts, offset: number, store: StoreView): Promise<CompletionItem[]> {
  const literal = stringAt(facts, offset);
  if (!literal) return [];
  const typed = document.getText().slice(literal.content.start, offset);
  const rangeOf = (start: number, end: number): Range => ({ start: document.positionAt(start), end: document.positionAt(end) });
  const items = (labels: readonly string[], kind: CompletionItemKind, range: Range, detail?: string): CompletionItem[] =>
    labels.map((label) => ({ label, kind, detail, textEdit: { range, newText: label } }));

  if (typed.startsWith(MODELS_SCHEME)) {
    const base = literal.content.start + MODELS_SCHEME.length;
    const rest = typed.slice(MODELS_SCHEME.length);
    const slash = rest.indexOf('/');
    const at = rest.lastIndexOf('@');
    if (slash < 0 && at < 0) {
      // The name up to the end of its segment is replaced: completing in the middle of `models:/na|me/1`.
      const full = literal.value.slice(MODELS_SCHEME.length);
      const nameEnd = base + (full.search(/[/@]/) < 0 ? full.length : full.search(/[/@]/));
      return items((await store.modelNames()) ?? [], CompletionItemKind.Module, rangeOf(base, Math.max(nameEnd, offset)), 'registered model');
    }
    const name = rest.slice(0, slash >= 0 ? slash : at);
    const model = await store.model(name);
    if (!model?.exists) return [];
    const start = base + (slash >= 0 ? slash : at) + 1;
    const range = rangeOf(start, literal.content.end);
    if (slash >= 0) {
      const versions: CompletionItem[] = model.versions.map((v, index) => ({
        label: v.version,
        kind: CompletionItemKind.Value,
        detail: versionLine(v),
        sortText: String(index).padStart(6, '0'),
        textEdit: { range, newText: v.version },
      }));
      const stages = STAGES.filter((stage) => stage !== 'None' && model.versions.some((v) => v.stage === stage));
      return [...versions, ...items([...stages, 'latest'], CompletionItemKind.EnumMember, range, 'stage: its newest version')];
    }
    const aliases = model.versions.flatMap((v) => v.aliases.map((alias) => ({ alias, version: v.version })));
    return aliases.map(({ alias, version }) => ({ label: alias, kind: CompletionItemKind.Constant, detail: `version ${version}`, textEdit: { range, newText: alias } }));
  }

  const range = rangeOf(literal.content.start, literal.content.end);
  const role = roleOf(facts, literal);
  switch (role.kind) {
    case 'experimentName':
      return items((await store.experimentNames()) ?? [], CompletionItemKind.Folder, range, 'experiment');
    case 'metricKey':
    case 'paramKey': {
      const keys = await store.keys(scriptExperiment(facts));
      if (!keys) return [];
      return role.kind === 'metricKey' ? items(keys.metrics, CompletionItemKind.Field, range, 'metric already logged') : items(keys.params, CompletionItemKind.Property, range, 'param already logged');
    }
    default:
      return [];
  }
}
