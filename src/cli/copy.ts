import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CopyCancelledError, copyBetweenServers } from '../client/copy/copy-engine';
import { formatSummary } from '../client/copy/copy-summary';
import { MlflowClient, type Credentials } from '../client/mlflow-client';
import { startServer } from '../server/server';
import { lockStoreFolder, storeLeaseUrl } from '../server/store-lock';
import { TrackingStore } from '../store/tracking-store';

export const COPY_USAGE = `Usage: runboard copy --from URI --to URI [--experiment NAME ...]

Copies experiments (with their runs, params, tags, metric histories, dataset inputs, artifacts, parent links and
logged models) and the model registry (models, versions, stages, aliases, tags) from one MLflow server to another.
Copying again adds only what is new; an interrupted copy (Ctrl-C) resumes where it stopped.

A URI is either
  http(s)://host:port      an MLflow tracking server (mlflow server, a team's server, runboard serve), or
  DIR                      a Runboard store folder (e.g. .runboard); served in this process while copying.
To copy an mlflow.db or an mlruns/ folder, serve it first:  mlflow server --backend-store-uri sqlite:///mlflow.db

Options:
  --from URI              where to copy from
  --to URI                where to copy to (its artifacts must be writable through its REST API: Runboard, or
                          mlflow server --serve-artifacts)
  --experiment NAME       copy only this experiment (repeatable); registered models then only from its runs

Credentials of a server, from the environment (never on the command line):
  RUNBOARD_FROM_TOKEN, or RUNBOARD_FROM_USERNAME and RUNBOARD_FROM_PASSWORD      for --from
  RUNBOARD_TO_TOKEN, or RUNBOARD_TO_USERNAME and RUNBOARD_TO_PASSWORD            for --to

Progress goes to stderr, the summary at the end. Exit status: 0 done, 1 failed, 130 stopped by Ctrl-C.`;

export class CopyUsageError extends Error {}

/** One side of the copy: a client, and how to let go of what was opened for it. */
interface Side {
  client: MlflowClient;
  label: string;
  close(): Promise<void>;
}

function credentialsFromEnv(side: 'FROM' | 'TO', env: NodeJS.ProcessEnv): Credentials {
  const token = env[`RUNBOARD_${side}_TOKEN`];
  const username = env[`RUNBOARD_${side}_USERNAME`];
  const password = env[`RUNBOARD_${side}_PASSWORD`];
  if (token && (username || password)) throw new CopyUsageError(`Set either RUNBOARD_${side}_TOKEN or RUNBOARD_${side}_USERNAME/PASSWORD, not both.`);
  if (token) return { kind: 'bearer', token };
  if (username || password) {
    if (!username || !password) throw new CopyUsageError(`RUNBOARD_${side}_USERNAME and RUNBOARD_${side}_PASSWORD go together: set both.`);
    return { kind: 'basic', username, password };
  }
  return { kind: 'none' };
}

async function openSide(uri: string, side: 'FROM' | 'TO', env: NodeJS.ProcessEnv): Promise<Side> {
  if (/^https?:\/\//i.test(uri)) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new CopyUsageError(`--${side.toLowerCase()} ${uri} is not a valid URL.`);
    }
    const client = new MlflowClient({ baseUrl: url.toString(), credentials: credentialsFromEnv(side, env), timeoutMs: 120_000 });
    return { client, label: url.origin + url.pathname.replace(/\/+$/, ''), close: async () => {} };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !/^[a-z]:[\\/]/i.test(uri)) {
    throw new CopyUsageError(
      `--${side.toLowerCase()} ${uri}: runboard copy talks to MLflow servers over HTTP. Serve that store first (mlflow server --backend-store-uri ${uri}) and pass its URL, or pass a Runboard store folder.`,
    );
  }
  const dir = resolve(uri);
  if (side === 'FROM' && !existsSync(join(dir, 'runboard.db'))) {
    throw new CopyUsageError(`--from ${uri}: ${dir} holds no Runboard store (no runboard.db). Pass a store folder such as .runboard, or a server URL.`);
  }
  const release = lockStoreFolder(dir);
  if (!release) {
    const url = storeLeaseUrl(dir);
    throw new CopyUsageError(
      `The store in ${dir} is served by another process${url ? ` at ${url}` : ''} (VS Code's Runboard, or runboard serve). ` +
        `Pass that server's URL instead${url ? ` (with its token in RUNBOARD_${side}_TOKEN)` : ''}, or stop it first.`,
    );
  }
  let store: TrackingStore | undefined;
  try {
    store = TrackingStore.open(dir);
    const token = randomBytes(24).toString('hex');
    const server = await startServer({ store, artifactRoot: join(dir, 'artifacts'), host: '127.0.0.1', port: 0, token });
    const opened = store;
    return {
      client: new MlflowClient({ baseUrl: server.url, credentials: { kind: 'bearer', token }, timeoutMs: 120_000 }),
      label: dir,
      close: async () => {
        await server.close();
        opened.close();
        release();
      },
    };
  } catch (error) {
    store?.close();
    release();
    throw error;
  }
}

/** `runboard copy`: resolves to the exit status. */
export async function copyCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      experiment: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(COPY_USAGE);
    return 0;
  }
  if (!values.from || !values.to) throw new CopyUsageError('--from URI and --to URI are both required.');
  if (resolve(values.from) === resolve(values.to) || values.from === values.to) throw new CopyUsageError('--from and --to name the same place: nothing to copy.');

  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    console.error('\nStopping after the current step (Ctrl-C again to quit at once). Run the same command again to resume.');
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);

  const opened: Side[] = [];
  try {
    const from = await openSide(values.from, 'FROM', env);
    opened.push(from);
    const to = await openSide(values.to, 'TO', env);
    opened.push(to);
    console.error(`Copying from ${from.label} to ${to.label}${values.experiment?.length ? ` (experiments: ${values.experiment.join(', ')})` : ''}`);
    let last = '';
    const summary = await copyBetweenServers(from.client, to.client, {
      experiments: values.experiment,
      signal: controller.signal,
      onProgress: ({ done, total, message }) => {
        const line = `[${done}/${total}] ${message}`;
        if (line !== last) console.error(line);
        last = line;
      },
    });
    console.error(['Copy complete.', ...formatSummary(summary).map((line) => `  ${line}`)].join('\n'));
    return 0;
  } catch (error) {
    if (error instanceof CopyCancelledError) {
      console.error(['Copy stopped. So far:', ...formatSummary(error.summary).map((line) => `  ${line}`), 'Run the same command again to resume.'].join('\n'));
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    for (const side of opened.reverse()) await side.close().catch(() => {});
  }
}
