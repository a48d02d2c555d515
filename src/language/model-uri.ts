/**
 * `models:/` URIs as MLflow parses them (mlflow/store/artifact/utils/models.py `_parse_model_uri`):
 * `models:/NAME/VERSION`, `models:/NAME/STAGE`, `models:/NAME/latest`, `models:/NAME@ALIAS`, and
 * `models:/MODEL_ID` (a logged model, MLflow 3).
 */
export type ModelTarget =
  | { readonly kind: 'version'; readonly name: string; readonly version: string }
  | { readonly kind: 'stage'; readonly name: string; readonly stage: string }
  | { readonly kind: 'latest'; readonly name: string }
  | { readonly kind: 'alias'; readonly name: string; readonly alias: string }
  | { readonly kind: 'modelId'; readonly modelId: string }
  | { readonly kind: 'malformed'; readonly message: string };

export const MODELS_SCHEME = 'models:/';
export const RUNS_SCHEME = 'runs:/';

export function parseModelUri(uri: string): ModelTarget {
  const malformed: ModelTarget = {
    kind: 'malformed',
    message: `Not a model URI MLflow can load: '${uri}'. Use models:/NAME/SUFFIX (a version, a stage, or 'latest') or models:/NAME@ALIAS.`,
  };
  // urlparse keeps query and fragment out of the path; MLflow then ignores them.
  const path = uri.slice(MODELS_SCHEME.length).replace(/[?#].*$/, '');
  if (path === '') return malformed;
  const parts = path.split('/');
  if (parts.length > 2 || parts[0]!.trim() === '') return malformed;
  if (parts.length === 2) {
    const [name, suffix] = parts as [string, string];
    if (suffix.trim() === '') return malformed;
    if (/^\d+$/.test(suffix)) return { kind: 'version', name, version: String(Number(suffix)) };
    if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name };
    return { kind: 'stage', name, stage: suffix };
  }
  if (path.includes('@')) {
    const at = path.lastIndexOf('@');
    const alias = path.slice(at + 1);
    if (alias.trim() === '') return malformed;
    return { kind: 'alias', name: path.slice(0, at), alias };
  }
  return { kind: 'modelId', modelId: path };
}

/** The run id and artifact path of `runs:/RUN_ID/path`, or undefined when there is no run id. */
export function parseRunsUri(uri: string): { runId: string; path: string } | undefined {
  const rest = uri.slice(RUNS_SCHEME.length);
  const slash = rest.indexOf('/');
  const runId = slash < 0 ? rest : rest.slice(0, slash);
  if (!/^[\w-]+$/.test(runId)) return undefined;
  return { runId, path: slash < 0 ? '' : rest.slice(slash + 1) };
}
