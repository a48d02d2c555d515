// Issue 6, "Debug with Runboard": the pinned debugpy adapter (what the Python Debugger extension runs) launches
// a script with the launch's environment; DebugCapture reads the same DAP messages VS Code's tracker sees, and
// the launch is recorded like a run: output in the log artifact, FINISHED on exit 0, KILLED on Stop.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { proxiedFilePath } from '../../src/extension/artifact-paths';
import { DebugCapture, type DapMessage } from '../../src/extension/launcher/debug-capture';
import { launchEnvironment, LOG_ARTIFACT, newLaunchId, type LaunchRequest } from '../../src/extension/launcher/launch-spec';
import { recordLaunch } from '../../src/extension/launcher/record';
import { FIXTURES, PYTHON, useLauncherServer } from './launcher-server';

const DEBUGPY = resolve('.debugpy');
const rb = useLauncherServer('debug');

/** A minimal DAP client over the adapter's stdio: what VS Code does, with every message shown to the capture. */
class DapSession {
  private seq = 1;
  private buffer = Buffer.alloc(0);
  private readonly listeners: ((message: DapMessage & { request_seq?: number; success?: boolean; message?: string }) => void)[] = [];
  readonly adapter: ChildProcessWithoutNullStreams;

  constructor(private readonly capture: DebugCapture) {
    this.adapter = spawn(PYTHON, ['-m', 'debugpy.adapter'], { env: { ...process.env, PYTHONPATH: DEBUGPY } });
    this.adapter.stdout.on('data', (chunk: Buffer) => this.read(chunk));
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString())?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString()) as DapMessage;
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.capture.fromAdapter(message);
      for (const listener of [...this.listeners]) listener(message);
    }
  }

  send(command: string, args: Record<string, unknown> = {}): number {
    const message = { seq: this.seq++, type: 'request', command, arguments: args };
    this.capture.toAdapter(message);
    const body = JSON.stringify(message);
    this.adapter.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return message.seq;
  }

  waitFor(match: (message: DapMessage & { request_seq?: number; success?: boolean; message?: string }) => boolean, what: string, timeoutMs = 60_000): Promise<DapMessage & { success?: boolean; message?: string }> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} from debugpy within ${timeoutMs / 1000} s`)), timeoutMs);
      const listener = (message: DapMessage & { request_seq?: number; success?: boolean }) => {
        if (!match(message)) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        resolvePromise(message);
      };
      this.listeners.push(listener);
    });
  }
}

async function debugLaunch(script: string, options: { stopWhen?: RegExp } = {}) {
  const { client, dir, env } = rb();
  const launchId = newLaunchId();
  const request: LaunchRequest = { python: PYTHON, script: join(FIXTURES, script), args: [], cwd: FIXTURES, userEnv: {}, trackingEnv: env, experimentName: 'debug-launches' };
  const capture = new DebugCapture(join(dir, 'logs', `${launchId}.log`));
  const session = new DapSession(capture);
  const startTime = Date.now();
  let output = '';
  const terminated = session.waitFor((m) => m.type === 'event' && m.event === 'terminated', 'terminated event', 120_000);
  const stopped = options.stopWhen
    ? session.waitFor((m) => m.type === 'event' && m.event === 'output' && options.stopWhen!.test((output += m.body?.output ?? '')), 'the output to stop at', 120_000)
    : undefined;
  const initialized = session.waitFor((m) => m.type === 'event' && m.event === 'initialized', 'initialized event');
  session.send('initialize', { clientID: 'vscode', adapterID: 'debugpy', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
  // The configuration DebugLauncher hands to vscode.debug.startDebugging, as the Python Debugger resolves it.
  const launchSeq = session.send('launch', { name: 'debug', type: 'debugpy', request: 'launch', program: request.script, args: [], cwd: request.cwd, python: [PYTHON], env: launchEnvironment(request, launchId, { PATH: process.env.PATH }), console: 'internalConsole', justMyCode: true });
  const launched = session.waitFor((m) => m.type === 'response' && m.request_seq === launchSeq, 'launch response');
  await initialized;
  session.send('configurationDone');
  const launchResponse = await launched;
  assert.equal(launchResponse.success, true, `debugpy launched the script: ${launchResponse.message}`);
  if (stopped) {
    await stopped;
    session.send('disconnect', { terminateDebuggee: true });
  }
  await terminated;
  session.adapter.kill();
  const outcome = await capture.finish();
  const recorded = await recordLaunch(client, { launchId, script: request.script, commandLine: request.script, experimentName: request.experimentName, startTime, endTime: Date.now(), logPath: capture.logPath, outcome });
  const run = await client.getRun(recorded.runId);
  const log = Buffer.from(await client.downloadProxiedArtifact(proxiedFilePath(run.info.artifact_uri!, LOG_ARTIFACT)!)).toString('utf8');
  return { outcome, recorded, run, log };
}

describe('Debug with Runboard through the real debugpy adapter', () => {
  test('a script run to its end: its run FINISHED, with the output the Debug Console showed', async () => {
    const { outcome, recorded, run, log } = await debugLaunch('one_run.py');
    assert.equal(outcome.exitCode, 0);
    assert.equal(recorded.status, 'FINISHED');
    assert.equal(run.info.run_name, 'one');
    assert.equal(run.info.status, 'FINISHED');
    assert.match(log, /training one run [0-9a-f]{32}/);
  });

  test('Stop while it runs: KILLED', async () => {
    const { outcome, run, log } = await debugLaunch('slow.py', { stopWhen: /ready/ });
    assert.equal(outcome.stopped, true);
    assert.equal(run.info.run_name, 'slow');
    assert.equal(run.info.status, 'KILLED');
    assert.match(log, /ready/);
  });
});
