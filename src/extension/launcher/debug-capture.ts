/**
 * What a debugged launch printed and how it ended, read from the Debug Adapter Protocol messages between
 * VS Code and debugpy (a DebugAdapterTracker sees both directions). No `vscode` import: unit tests feed it
 * the messages of a real debugpy adapter.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { ProcessOutcome } from './process';

/** The parts of a DAP message this reads. */
export interface DapMessage {
  readonly type?: string;
  readonly event?: string;
  readonly command?: string;
  readonly body?: { output?: string; category?: string; exitCode?: number };
}

export class DebugCapture {
  private readonly log: WriteStream;
  private exitCode: number | null = null;
  private stopped = false;

  constructor(readonly logPath: string) {
    mkdirSync(dirname(logPath), { recursive: true });
    this.log = createWriteStream(logPath);
  }

  /** A message from the adapter: the program's output, and its exit code. */
  fromAdapter(message: DapMessage): void {
    if (message.type !== 'event') return;
    // 'console' is the adapter's own chatter; telemetry is not output.
    if (message.event === 'output' && message.body?.output && (message.body.category === 'stdout' || message.body.category === 'stderr' || message.body.category === undefined)) {
      this.log.write(message.body.output);
    }
    if (message.event === 'exited' && typeof message.body?.exitCode === 'number') this.exitCode = message.body.exitCode;
  }

  /** A message to the adapter: Stop (disconnect or terminate) before the program ended means stopped. */
  toAdapter(message: DapMessage): void {
    if (message.type === 'request' && (message.command === 'disconnect' || message.command === 'terminate') && this.exitCode === null) this.stopped = true;
  }

  /** Flushes the log; the outcome as the launcher records it (no exit code seen counts as stopped). */
  async finish(): Promise<ProcessOutcome> {
    await new Promise<void>((resolve) => this.log.end(resolve));
    return { exitCode: this.exitCode, signal: null, stopped: this.stopped || this.exitCode === null };
  }
}
