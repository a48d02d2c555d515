/**
 * What one launch is: its id, the command line and the environment the script gets. The id reaches every
 * run the script creates as the LAUNCH_TAG tag, so the launch's runs are found afterwards: through MLflow's
 * MLFLOW_RUN_CONTEXT (a JSON object of tags the fluent API adds to each run it starts) on any server, and
 * on Runboard's own server also through the launch's URL path, which tags every run created under it
 * (`MlflowClient().create_run` too; see api/launch.ts). No `vscode` import.
 */
import { randomBytes } from 'node:crypto';
import { basename, delimiter, dirname, isAbsolute } from 'node:path';
import { LAUNCH_TAG, launchTrackingUri } from '../../api/launch';

export { LAUNCH_TAG };
export const COMMAND_LINE_TAG = 'runboard.commandLine';
export const EXIT_CODE_TAG = 'runboard.exitCode';
/** The script's output, uploaded to the launch's run. */
export const LOG_ARTIFACT = 'output.log';

export interface LaunchRequest {
  /** The interpreter to run, e.g. /path/to/.venv/bin/python. */
  readonly python: string;
  /** Absolute path of the script. */
  readonly script: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** The user's own variables for this script (remembered per script). */
  readonly userEnv: Readonly<Record<string, string>>;
  /** MLFLOW_TRACKING_URI and credentials of the backend in use (BackendInfo.environment). */
  readonly trackingEnv: Readonly<Record<string, string>>;
  /** The backend is Runboard's own server: the script's tracking URI gets the launch's path. */
  readonly ownServer?: boolean;
  readonly experimentName: string;
}

export function newLaunchId(): string {
  return randomBytes(8).toString('hex');
}

/** The environment of the launched script: ours over the user's, the user's over the extension host's. */
export function launchEnvironment(request: LaunchRequest, launchId: string, base: Readonly<Record<string, string | undefined>> = process.env): Record<string, string | undefined> {
  const userContext = parseRunContext(request.userEnv.MLFLOW_RUN_CONTEXT ?? base.MLFLOW_RUN_CONTEXT);
  const tracking = { ...request.trackingEnv };
  if (request.ownServer && tracking.MLFLOW_TRACKING_URI) tracking.MLFLOW_TRACKING_URI = launchTrackingUri(tracking.MLFLOW_TRACKING_URI, launchId);
  return {
    ...base,
    ...request.userEnv,
    ...tracking,
    MLFLOW_EXPERIMENT_NAME: request.experimentName,
    MLFLOW_RUN_CONTEXT: JSON.stringify({ ...userContext, [LAUNCH_TAG]: launchId }),
    // Output reaches the terminal as it is printed, not when a buffer fills.
    PYTHONUNBUFFERED: '1',
    PATH: pathWithInterpreter(request.python, request.userEnv.PATH ?? base.PATH),
  };
}

/**
 * PATH with the interpreter's folder first, as an activated virtual environment has it: MLflow runs tools
 * of the environment by name (`mlflow models serve` execs `uvicorn`), and so do many training scripts.
 */
export function pathWithInterpreter(python: string, path: string | undefined): string | undefined {
  if (!isAbsolute(python)) return path;
  const folder = dirname(python);
  const entries = (path ?? '').split(delimiter).filter(Boolean);
  return [folder, ...entries.filter((entry) => entry !== folder)].join(delimiter);
}

function parseRunContext(value: string | undefined): Record<string, unknown> {
  if (!value) return {};
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** How the command line reads in the run's tag and the terminal: `python train.py --lr 0.1`. */
export function commandLine(python: string, script: string, args: readonly string[]): string {
  return [python, script, ...args].map(shellQuote).join(' ');
}

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Splits an arguments line the way a POSIX shell would for plain words and quotes (no expansion):
 * `--name "my run" --lr=0.1` → ['--name', 'my run', '--lr=0.1'].
 */
export function splitArguments(line: string): string[] {
  const words: string[] = [];
  let current: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && i + 1 < line.length) current += line[++i]!;
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      current ??= '';
    } else if (/\s/.test(char)) {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else if (char === '\\' && i + 1 < line.length) {
      current = (current ?? '') + line[++i]!;
    } else current = (current ?? '') + char;
  }
  if (quote) throw new Error(`Unclosed ${quote} quote in the arguments.`);
  if (current !== undefined) words.push(current);
  return words;
}

/** `KEY=value` lines (blank lines and # comments skipped) → variables; throws on a line that is neither. */
export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`Line ${index + 1} is not KEY=value: ${line}`);
    env[match[1]!] = match[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return env;
}

/** The run name of a launch that logged no run of its own: the script's name without `.py`. */
export function scriptRunName(script: string): string {
  return basename(script).replace(/\.py$/i, '');
}
