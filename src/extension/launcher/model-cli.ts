/**
 * "Predict with model..." and "Serve model": MLflow's own CLI (`mlflow models predict` / `serve`) in the
 * user's interpreter, against the backend in use, so the model loads exactly as the user's code would load
 * it. Runboard itself never unpickles anything. No `vscode` import.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { MlflowClient } from '../../client/mlflow-client';
import { proxiedFilePath } from '../artifact-paths';
import { pathWithInterpreter, shellQuote } from './launch-spec';

export type InputFormat = 'csv' | 'json';

/** csv or json from the file's extension; undefined for anything else. */
export function inputFormatOf(path: string): InputFormat | undefined {
  const extension = extname(path).toLowerCase();
  return extension === '.csv' ? 'csv' : extension === '.json' ? 'json' : undefined;
}

/** Where the predictions of `input` are saved: beside it, e.g. data.csv → data.csv.predictions.json. */
export function predictionsPath(input: string): string {
  return `${input}.predictions.json`;
}

export function predictArgs(modelUri: string, input: string, format: InputFormat, output: string): string[] {
  // --env-manager local: the model runs in the interpreter the user chose, nothing is installed.
  return ['-m', 'mlflow', 'models', 'predict', '-m', modelUri, '-i', input, '-t', format, '-o', output, '--env-manager', 'local'];
}

export function serveArgs(modelUri: string, port: number): string[] {
  return ['-m', 'mlflow', 'models', 'serve', '-m', modelUri, '-h', '127.0.0.1', '-p', String(port), '--env-manager', 'local'];
}

/** The environment of `mlflow models predict/serve`: the backend's, with the interpreter's tools on PATH. */
export function modelCliEnvironment(python: string, trackingEnv: Readonly<Record<string, string>>, base: Readonly<Record<string, string | undefined>> = process.env): Record<string, string | undefined> {
  return { ...base, ...trackingEnv, PYTHONUNBUFFERED: '1', PATH: pathWithInterpreter(python, base.PATH) };
}

/** Why a predict failed, for the user: `mlflowMissing` means the interpreter has no mlflow to run it. */
export class PredictError extends Error {
  constructor(
    message: string,
    readonly mlflowMissing: boolean,
    readonly output: string,
  ) {
    super(message);
    this.name = 'PredictError';
  }
}

export interface PredictSpec {
  readonly python: string;
  readonly modelUri: string;
  readonly input: string;
  readonly format: InputFormat;
  readonly output: string;
  /** The backend's MLFLOW_TRACKING_URI and credentials (BackendInfo.environment). */
  readonly trackingEnv: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly signal?: AbortSignal;
}

/** Runs `mlflow models predict`; resolves with the saved predictions, rejects with a PredictError. */
export async function runPredict(spec: PredictSpec): Promise<Predictions> {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(spec.python, predictArgs(spec.modelUri, spec.input, spec.format, spec.output), {
      cwd: spec.cwd,
      env: modelCliEnvironment(spec.python, spec.trackingEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: spec.signal,
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', (error) => {
      if (error.name === 'AbortError') reject(new PredictError('Prediction cancelled.', false, text));
      else reject(new PredictError(`Could not start ${spec.python}: ${error.message}. Select another interpreter (Python: Select Interpreter, or the runboard.python setting).`, false, text));
    });
    child.on('close', (code) => {
      if (code === 0) return resolve(text);
      if (/No module named mlflow\b/.test(text)) {
        reject(new PredictError(`mlflow is not installed in ${spec.python}. Install it there (pip install mlflow) or choose an interpreter that has it.`, true, text));
        return;
      }
      reject(new PredictError(`mlflow models predict failed (exit code ${code}): ${lastErrorLine(text)}`, false, text));
    });
  });
  const predictions = parsePredictions(await readFile(spec.output, 'utf8'));
  return { ...predictions, log: output };
}

/** The line of a Python error output that says what went wrong: its last `SomeError: ...` line. */
function lastErrorLine(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  return [...lines].reverse().find((line) => /^\w+(\.\w+)*(Error|Exception): /.test(line)) ?? lines.at(-1) ?? 'no output';
}

/** Predictions as a table: column names and one row of cells per prediction. */
export interface Predictions {
  readonly columns: string[];
  readonly rows: unknown[][];
  readonly log?: string;
}

/**
 * What `mlflow models predict -o` writes: `{"predictions": [...]}` whose items are scalars (a classifier),
 * arrays (probabilities, embeddings) or objects (a DataFrame's records).
 */
export function parsePredictions(json: string): Predictions {
  const parsed: unknown = JSON.parse(json);
  const items: unknown = parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'predictions' in parsed ? (parsed as { predictions: unknown }).predictions : parsed;
  if (!Array.isArray(items)) {
    if (items && typeof items === 'object') {
      // A dict of columns ({"a": [..], "b": [..]}), as some flavors return.
      const columns = Object.keys(items);
      const values = columns.map((column) => (items as Record<string, unknown>)[column]);
      const length = Math.max(0, ...values.map((value) => (Array.isArray(value) ? value.length : 1)));
      return { columns, rows: Array.from({ length }, (_, i) => values.map((value) => (Array.isArray(value) ? value[i] : value))) };
    }
    return { columns: ['prediction'], rows: [[items]] };
  }
  const first: unknown = items[0];
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    const columns = [...new Set(items.flatMap((item) => (item && typeof item === 'object' ? Object.keys(item) : [])))];
    return { columns, rows: items.map((item) => columns.map((column) => (item as Record<string, unknown>)?.[column])) };
  }
  if (Array.isArray(first)) {
    const width = Math.max(...items.map((item) => (Array.isArray(item) ? item.length : 1)));
    return { columns: Array.from({ length: width }, (_, i) => `prediction[${i}]`), rows: items.map((item) => (Array.isArray(item) ? item : [item])) };
  }
  return { columns: ['prediction'], rows: items.map((item) => [item]) };
}

/**
 * A `curl` call to a served model's /invocations. `body` is the model's own serving input example (MLflow
 * saves serving_input_example.json with the model when it was logged with an input example); without one,
 * a placeholder to replace.
 */
export function curlExample(port: number, body?: string): string {
  const payload = body ? JSON.stringify(JSON.parse(body)) : JSON.stringify({ inputs: [[0]] });
  return `curl -X POST http://127.0.0.1:${port}/invocations -H 'Content-Type: application/json' -d ${shellQuote(payload)}`;
}

/** The header and first `maxRows` rows of a simple CSV (numbers as numbers); undefined for quoted CSV. */
export function readCsvTable(text: string, maxRows: number): { columns: string[]; rows: unknown[][] } | undefined {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length < 1 || lines.some((line) => line.includes('"'))) return undefined;
  const columns = lines[0]!.split(',');
  const rows = lines.slice(1, 1 + maxRows).map((line) => line.split(',').map((cell) => (cell !== '' && Number.isFinite(Number(cell)) ? Number(cell) : cell)));
  return { columns, rows };
}

/**
 * The serving_input_example.json MLflow saved with a model version (when it was logged with an input
 * example), read through the tracking server; undefined when there is none or the server cannot serve it.
 */
export async function servingInputExample(client: MlflowClient, name: string, version: string): Promise<string | undefined> {
  try {
    const path = proxiedFilePath(await client.getModelVersionDownloadUri(name, version), 'serving_input_example.json');
    if (path === undefined) return undefined;
    const text = Buffer.from(await client.downloadProxiedArtifact(path)).toString('utf8');
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}
