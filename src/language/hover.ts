import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ExperimentSummary, ModelSummary, ModelVersionSummary, RunResult } from '../api/language-protocol';
import type { ScriptFacts } from './analysis';
import { code, formatNumber, formatTime, runLabel } from './format';
import { roleOf, stringAt } from './locate';
import { resolveModelTarget } from './model-resolution';
import { MODELS_SCHEME, parseModelUri, parseRunsUri, RUNS_SCHEME } from './model-uri';
import type { StoreView } from './store-view';

const HOVER_METRICS = 6;

/** Hover on `runs:/`, `models:/` literals and `set_experiment` names: what the backend has under that name. */
export async function hover(document: TextDocument, facts: ScriptFacts, offset: number, store: StoreView): Promise<Hover | null> {
  const literal = stringAt(facts, offset);
  if (!literal) return null;
  const range = { start: document.positionAt(literal.content.start), end: document.positionAt(literal.content.end) };
  let markdown: string | undefined;
  if (literal.value.startsWith(RUNS_SCHEME)) {
    const parsed = parseRunsUri(literal.value);
    if (!parsed) return null;
    const run = await store.run(parsed.runId);
    markdown = run ? runMarkdown(run, parsed.path) : undefined;
  } else if (literal.value.startsWith(MODELS_SCHEME)) {
    markdown = await modelMarkdown(literal.value, store);
  } else if (roleOf(facts, literal).kind === 'experimentName') {
    const experiment = await store.experiment(literal.value);
    markdown = experiment ? experimentMarkdown(experiment) : undefined;
  }
  return markdown ? { contents: { kind: MarkupKind.Markdown, value: markdown }, range } : null;
}

function metricLines(metrics: Readonly<Record<string, number>>): string[] {
  return Object.entries(metrics)
    .filter(([key]) => !key.startsWith('system/'))
    .slice(0, HOVER_METRICS)
    .map(([key, value]) => `- ${code(key)}: ${formatNumber(value)}`);
}

function runMarkdown(run: RunResult, path: string): string {
  if ('missing' in run) return `**Run ${code(run.runId)}** does not exist on this server.`;
  const lines = [
    `**Run ${runLabel(run.runName, run.runId)}** · ${run.status.toLowerCase()}${run.lifecycleStage === 'deleted' ? ' · deleted' : ''}`,
    '',
    `Experiment ${code(run.experimentName ?? run.experimentId)} · run id ${code(run.runId)}${run.startTime ? ` · started ${formatTime(run.startTime)}` : ''}`,
  ];
  if (path) lines.push('', `Artifact path ${code(path)}`);
  const metrics = metricLines(run.metrics);
  if (metrics.length > 0) lines.push('', ...metrics);
  lines.push('', `${run.paramCount} param${run.paramCount === 1 ? '' : 's'}`);
  return lines.join('\n');
}

export function versionLine(version: ModelVersionSummary): string {
  const parts = [`version ${version.version}`];
  if (version.stage && version.stage !== 'None') parts.push(`stage ${version.stage}`);
  if (version.aliases.length > 0) parts.push(version.aliases.map((a) => `@${a}`).join(' '));
  if (version.status && version.status !== 'READY') parts.push(version.status.toLowerCase());
  return parts.join(' · ');
}

async function modelMarkdown(uri: string, store: StoreView): Promise<string | undefined> {
  const target = parseModelUri(uri);
  if (target.kind === 'malformed') return target.message;
  if (target.kind === 'modelId') return undefined;
  const model: ModelSummary | null = await store.model(target.name);
  if (!model) return undefined;
  const resolution = resolveModelTarget(target, model);
  if ('problem' in resolution) return `**${code(uri)}**: ${resolution.problem}`;
  const { version } = resolution;
  const lines = [`**${code(uri)}** → ${code(target.name)} ${versionLine(version)}`];
  if (version.runId) lines.push('', `Source run ${code(version.runId)}`);
  if (version.source) lines.push('', `Source ${code(version.source)}`);
  if (model.exists && model.description) lines.push('', model.description);
  return lines.join('\n');
}

function experimentMarkdown(experiment: ExperimentSummary): string {
  if (!experiment.exists) return `**Experiment ${code(experiment.name)}** does not exist yet: \`set_experiment\` creates it on the first run.`;
  const runs = `${experiment.runCount}${experiment.runCountIsLowerBound ? '+' : ''} run${experiment.runCount === 1 ? '' : 's'}`;
  const lines = [`**Experiment ${code(experiment.name)}** · id ${experiment.experimentId} · ${runs}${experiment.lifecycleStage === 'deleted' ? ' · deleted (restore it, or set_experiment fails)' : ''}`];
  const last = experiment.lastRun;
  if (last) lines.push('', `Last run ${runLabel(last.runName, last.runId)} · ${last.status.toLowerCase()}${last.startTime ? ` · ${formatTime(last.startTime)}` : ''}`);
  return lines.join('\n');
}
