/**
 * One "Run with Runboard": the script runs with the backend's environment and the launch tag, its output
 * streams to the caller and a log file, and when it ends the launch is recorded (see record.ts).
 * No `vscode` import: the Task and debug glue in ../launcher-commands.ts drive it, and so do unit tests.
 */
import { join } from 'node:path';
import type { MlflowClient } from '../../client/mlflow-client';
import { commandLine, launchEnvironment, newLaunchId, type LaunchRequest } from './launch-spec';
import { startProcess, type ProcessOutcome } from './process';
import { recordLaunch, type RecordedLaunch } from './record';

export interface LaunchResult {
  readonly outcome: ProcessOutcome;
  /** Undefined when recording failed; `recordError` says why. */
  readonly recorded?: RecordedLaunch;
  readonly recordError?: string;
  readonly logPath: string;
}

export interface Launch {
  readonly launchId: string;
  readonly commandLine: string;
  readonly done: Promise<LaunchResult>;
  stop(): void;
}

export interface LaunchOptions {
  /** Folder for the launches' output logs (kept after the upload, for servers that cannot take it). */
  readonly logDir: string;
  readonly onOutput: (text: string) => void;
  readonly graceMs?: number;
}

export function startLaunch(client: MlflowClient, request: LaunchRequest, options: LaunchOptions): Launch {
  const launchId = newLaunchId();
  const logPath = join(options.logDir, `${launchId}.log`);
  const line = commandLine(request.python, request.script, request.args);
  const startTime = Date.now();
  const running = startProcess(
    { command: request.python, args: [request.script, ...request.args], cwd: request.cwd, env: launchEnvironment(request, launchId), logPath },
    options.onOutput,
    options.graceMs,
  );
  const done = running.done.then(async (outcome): Promise<LaunchResult> => {
    const endTime = Date.now();
    try {
      const recorded = await recordLaunch(client, { launchId, script: request.script, commandLine: line, experimentName: request.experimentName, startTime, endTime, logPath, outcome });
      return { outcome, recorded, logPath };
    } catch (error) {
      return { outcome, recordError: error instanceof Error ? error.message : String(error), logPath };
    }
  });
  return { launchId, commandLine: line, done, stop: () => running.stop() };
}

/** The last lines of a launch for a terminal or notification: `exit code 1 → FAILED`. */
export function describeResult(result: LaunchResult): string {
  const { outcome } = result;
  const how = outcome.spawnError ? outcome.spawnError : outcome.stopped ? 'stopped' : outcome.exitCode !== null ? `exit code ${outcome.exitCode}` : `ended by ${outcome.signal}`;
  if (!result.recorded) return `${how}; the run could not be recorded: ${result.recordError}`;
  const runs = result.recorded.runIds.length;
  return `${how} → ${result.recorded.status} (run ${result.recorded.runId}${runs > 1 ? ` and ${runs - 1} more` : ''})`;
}
