/**
 * Runs one launched script: spawns the interpreter, streams its output to a listener and to a log file,
 * and stops it the way a person at a terminal would (Ctrl+C first, harder only if it does not end).
 * No `vscode` import: unit tests drive it with real Python.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** How a launched process ended. `stopped` is true when we stopped it (the run is KILLED, not FAILED). */
export interface ProcessOutcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stopped: boolean;
  /** Set when the interpreter could not be started at all (not found, not executable). */
  readonly spawnError?: string;
}

export interface ProcessSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Everything the process prints goes here too, as it comes. */
  readonly logPath: string;
}

export interface RunningProcess {
  /** Resolves once the process exited and the log file is flushed. */
  readonly done: Promise<ProcessOutcome>;
  /** SIGINT (KeyboardInterrupt, so `with mlflow.start_run()` ends cleanly), then SIGTERM, then SIGKILL. */
  stop(): void;
}

/** How long a script gets after Ctrl+C before SIGTERM, and after that before SIGKILL. */
export const STOP_GRACE_MS = 5_000;

/**
 * Scripts still running when the extension host exits. They run in their own process group (so a stop
 * reaches their workers), which also means they would outlive the window: end them with it, as a terminal's
 * processes end when it closes.
 */
const running = new Set<() => void>();
let exitHookInstalled = false;
function endWithHost(end: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const kill of running) kill();
    });
  }
  running.add(end);
  return () => running.delete(end);
}

export function startProcess(spec: ProcessSpec, onOutput: (text: string) => void, graceMs = STOP_GRACE_MS): RunningProcess {
  mkdirSync(dirname(spec.logPath), { recursive: true });
  const log = createWriteStream(spec.logPath);
  const logClosed = new Promise<void>((resolve) => log.on('close', () => resolve()));
  const write = (chunk: Buffer | string) => {
    log.write(chunk);
    onOutput(chunk.toString());
  };
  let stopped = false;
  const timers: NodeJS.Timeout[] = [];
  // Its own process group, so stopping reaches what the script started (data loaders, workers) too.
  const detached = process.platform !== 'win32';
  const child: ChildProcess = spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: definedOnly(spec.env), detached, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', write);
  child.stderr?.on('data', write);

  const signal = (name: NodeJS.Signals) => {
    try {
      if (detached && child.pid !== undefined) process.kill(-child.pid, name);
      else child.kill(name);
    } catch {
      // already gone
    }
  };

  const forget = endWithHost(() => signal('SIGTERM'));
  const done = new Promise<ProcessOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: ProcessOutcome) => {
      if (settled) return;
      settled = true;
      forget();
      for (const timer of timers) clearTimeout(timer);
      log.end();
      void logClosed.then(() => resolve(outcome));
    };
    child.on('error', (error) => {
      const message = `Could not start ${spec.command}: ${error.message}\n`;
      write(message);
      finish({ exitCode: null, signal: null, stopped, spawnError: message.trim() });
    });
    // 'close' rather than 'exit': all of stdout and stderr has been read by then.
    child.on('close', (exitCode, exitSignal) => finish({ exitCode, signal: exitSignal, stopped }));
  });

  return {
    done,
    stop() {
      if (stopped || child.exitCode !== null || child.signalCode !== null) return;
      stopped = true;
      signal('SIGINT');
      timers.push(setTimeout(() => signal('SIGTERM'), graceMs));
      timers.push(setTimeout(() => signal('SIGKILL'), graceMs * 2));
    },
  };
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}
