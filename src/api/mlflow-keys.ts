import { posix } from 'node:path';

/**
 * MLflow's rule for metric, param and tag keys (mlflow/utils/validation.py of the pinned client): what the
 * language server warns about before a script runs. The store enforces the same rule on the server side
 * (src/store/validation.ts; the store may import nothing of ours, so it keeps its own copy of the rule).
 */
export const KEY_MAX_LENGTH = 250;

// Letters, digits, underscore, dash, period, space, slash and colon; `\w` in Python is Unicode-aware.
const KEY_CHARACTERS = /^[/\p{L}\p{N}_.\- :]*$/u;

/** Why MLflow would reject `key`, or undefined when it accepts it. */
export function keyProblem(key: string): string | undefined {
  if (key === '') return 'MLflow rejects an empty key.';
  if (!KEY_CHARACTERS.test(key)) {
    return `MLflow rejects the key '${key}': names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`;
  }
  // Keys may become file names: they must not resolve to another name as a path (Python's posixpath.normpath,
  // which also drops a trailing slash).
  const normalized = posix.normalize(key).replace(/(.)\/+$/, '$1');
  if (normalized !== key || normalized === '.' || normalized.startsWith('..') || normalized.startsWith('/')) {
    return `MLflow rejects the key '${key}': names may be treated as files and must not resolve to other names (this one resolves to '${normalized}').`;
  }
  if (key.length > KEY_MAX_LENGTH) return `MLflow rejects the key: it is ${key.length} characters long, the limit is ${KEY_MAX_LENGTH}.`;
  return undefined;
}
