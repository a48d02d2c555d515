/**
 * What the panel commands were invoked on: a tree row (a run, or any row inside a run: its groups, values,
 * artifacts), several rows (multi-selection), a run id, `{ runId }` / `{ runIds, metricKeys }` (CodeLens,
 * other extensions, tests). Tree rows are read by shape, not by class, so the trees can change freely.
 * No `vscode` import.
 */
import { isRunId } from '../../webview/protocol';

type Loose = Record<string, unknown>;

function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The run id of one argument, if it names a run. */
export function runIdOf(value: unknown): string | undefined {
  if (isRunId(value)) return value;
  if (!isObject(value)) return undefined;
  if (isRunId(value.runId)) return value.runId;
  // A client Run: { info: { run_id } }.
  if (isObject(value.info) && isRunId(value.info.run_id)) return value.info.run_id;
  // A model version row: { kind: 'modelVersion', version: { run_id } } (the run that logged it).
  if (value.kind === 'modelVersion' && isObject(value.version) && isRunId(value.version.run_id)) return value.version.run_id;
  const run = value.run;
  if (isObject(run)) {
    // A run row: { kind: 'run', run: Run }.
    if (isObject(run.info) && isRunId(run.info.run_id)) return run.info.run_id;
    // A row inside a run: { run: RunNode } with RunNode.run: Run.
    if (isObject(run.run) && isObject(run.run.info) && isRunId(run.run.info.run_id)) return run.run.info.run_id;
  }
  return undefined;
}

/** Every run named by a command's arguments, in order, without repeats. */
export function runIdsOf(args: readonly unknown[]): string[] {
  const ids: string[] = [];
  const add = (value: unknown) => {
    if (Array.isArray(value)) {
      for (const item of value) add(item);
      return;
    }
    if (isObject(value) && Array.isArray(value.runIds)) {
      for (const id of value.runIds) if (isRunId(id)) ids.push(id);
      return;
    }
    const id = runIdOf(value);
    if (id) ids.push(id);
  };
  // (clicked row, selected rows): the selection includes the clicked row when it is part of it.
  const [first, second] = args;
  if (Array.isArray(second) && second.length > 0) add(second);
  else add(first);
  return [...new Set(ids)];
}

/** Metric keys named by the arguments: a metric row `{ kind: 'metric', key }`, or `{ metricKeys }` / `{ metricKey }`. */
export function metricKeysOf(args: readonly unknown[]): string[] {
  const keys: string[] = [];
  const add = (value: unknown) => {
    if (Array.isArray(value)) {
      for (const item of value) add(item);
      return;
    }
    if (!isObject(value)) return;
    if (value.kind === 'metric' && typeof value.key === 'string') keys.push(value.key);
    if (typeof value.metricKey === 'string') keys.push(value.metricKey);
    if (Array.isArray(value.metricKeys)) for (const key of value.metricKeys) if (typeof key === 'string') keys.push(key);
  };
  const [first, second] = args;
  if (Array.isArray(second) && second.length > 0) add(second);
  else add(first);
  return [...new Set(keys)];
}

/**
 * True when a run's `mlflow.source.name` (the script as it was started: `train.py`, `./src/train.py` or an
 * absolute path) names the file at `fsPath`, relative to one of the workspace folders or the file's folder.
 */
export function sourceMatches(source: string, fsPath: string, folders: readonly string[]): boolean {
  const normalize = (p: string) => p.replace(/\\/g, '/').replace(/\/\.\//g, '/').replace(/^\.\//, '');
  const file = normalize(fsPath);
  const src = normalize(source.trim());
  if (src === '') return false;
  if (src === file) return true;
  if (src.startsWith('/') || /^[A-Za-z]:\//.test(src)) return false;
  const bases = [...folders.map(normalize), file.slice(0, file.lastIndexOf('/'))];
  return bases.some((base) => `${base.replace(/\/+$/, '')}/${src}` === file);
}
