import { posix } from 'node:path';
import { invalidParameter } from './errors';

/** MLflow's limits (mlflow/utils/validation.py of the pinned client). */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  runTagValueLength: 8000,
  experimentTagValueLength: 20000,
  experimentNameLength: 500,
  artifactLocationLength: 2048,
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  datasetName: 500,
  datasetDigest: 36,
  datasetSource: 65535,
  datasetSchema: 1048575,
  datasetProfile: 16777215,
  inputTagKey: 255,
  inputTagValue: 500,
} as const;

export function invalidValueMessage(path: string, value: unknown, detail?: string): string {
  const shown = JSON.stringify(value) ?? String(value);
  return detail
    ? `Invalid value ${shown} for parameter '${path}' supplied: ${detail}`
    : `Invalid value ${shown} for parameter '${path}' supplied.`;
}

export function missingValueMessage(path: string): string {
  return `Missing value for required parameter '${path}'.`;
}

// Letters, digits, underscore, dash, period, space, slash and colon; `\w` in Python is Unicode-aware.
const KEY_CHARACTERS = /^[/\p{L}\p{N}_.\- :]*$/u;

/**
 * Metric, param and tag keys may be used as file names, so they must not resolve to another name when
 * treated as a path (`a//b`, `a/./b`, `../x`, `/x`).
 */
export function validateKey(key: string, path: string): void {
  if (key === '') throw invalidParameter(missingValueMessage(path));
  if (!KEY_CHARACTERS.test(key)) {
    throw invalidParameter(
      invalidValueMessage(path, key, 'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).'),
    );
  }
  // Python's posixpath.normpath, which MLflow uses, also drops a trailing slash.
  const normalized = posix.normalize(key).replace(/(.)\/+$/, '$1');
  if (normalized !== key || normalized === '.' || normalized.startsWith('..') || normalized.startsWith('/')) {
    throw invalidParameter(
      invalidValueMessage(
        path,
        key,
        `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${normalized}'`,
      ),
    );
  }
  checkLength(path, key, LIMITS.keyLength);
}

export function checkLength(what: string, value: string, limit: number): void {
  if (value.length > limit) {
    throw invalidParameter(`'${what}' exceeds the maximum length of ${limit} characters`);
  }
}

/** MLflow truncates over-long param and run-tag values (MLFLOW_TRUNCATE_LONG_VALUES, on by default). */
export function truncate(value: string, limit: number): string {
  return value.length > limit ? value.slice(0, limit) : value;
}

export function validateExperimentName(name: string): void {
  if (name.trim() === '') throw invalidParameter(`Invalid experiment name: '${name}'`);
  checkLength('name', name, LIMITS.experimentNameLength);
}

export function validateBatchLimits(metrics: number, params: number, tags: number): void {
  const check = (entity: string, limit: number, count: number) => {
    if (count > limit) {
      throw invalidParameter(
        `A batch logging request can contain at most ${limit} ${entity}. Got ${count} ${entity}. Please split up ${entity} across multiple requests and try again.`,
      );
    }
  };
  check('metrics', LIMITS.metricsPerBatch, metrics);
  check('params', LIMITS.paramsPerBatch, params);
  check('tags', LIMITS.tagsPerBatch, tags);
  check('metrics, params, and tags', LIMITS.entitiesPerBatch, metrics + params + tags);
}

/** Experiment ids are integers on the wire as strings; anything else is the caller's mistake. */
export function parseExperimentId(id: string): number {
  if (!/^-?\d{1,15}$/.test(id.trim())) {
    throw invalidParameter(`Invalid experiment ID '${id}'. Experiment ID must be a valid integer.`);
  }
  return Number(id);
}
