import { resolve, join } from 'node:path';
import { parseArgs } from 'node:util';
import { COPY_USAGE, CopyUsageError, copyCommand } from './copy';
import { startServer } from '../server/server';
import { lockStoreFolder, storeLeaseUrl } from '../server/store-lock';
import { chooseDriver, describeDriverChoice, parseDriverPreference, preferenceFromEnvironment } from '../store/drivers/open';
import { TrackingStore } from '../store/tracking-store';

const SERVE_USAGE = `Usage: runboard serve --store DIR [--host 127.0.0.1] [--port 5000] [--token TOKEN] [--driver auto]

Serves the MLflow REST API over the Runboard store in DIR, so the mlflow client logs into it:
  export MLFLOW_TRACKING_URI=http://127.0.0.1:5000   (and MLFLOW_TRACKING_TOKEN when --token is set)
One process serves a store at a time (a VS Code window, another runboard serve): a second one is refused.
--driver picks the SQLite driver: auto (default, or RUNBOARD_SQLITE_DRIVER): node:sqlite where the runtime has
it, else better-sqlite3 where its compiled module loads, else wasm (SQLite compiled to WebAssembly).`;
const USAGE = `${SERVE_USAGE}\n\n${COPY_USAGE}`;

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      store: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '5000' },
      token: { type: 'string' },
      driver: { type: 'string' },
    },
    strict: true,
  });
  if (!values.store) throw new UsageError('--store DIR is required.');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not '${values.port}'.`);

  let preference;
  try {
    preference = values.driver === undefined ? preferenceFromEnvironment() : parseDriverPreference(values.driver);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const storeDir = resolve(values.store);
  const release = lockStoreFolder(storeDir);
  if (!release) {
    const url = storeLeaseUrl(storeDir);
    throw new Error(`Another process serves the store in ${storeDir}${url ? ` (at ${url})` : ''}. Stop it, or point the client at it.`);
  }
  let store: TrackingStore;
  try {
    const choice = chooseDriver(preference);
    console.error(`SQLite driver: ${describeDriverChoice(choice)}`);
    store = TrackingStore.open(storeDir, { driverChoice: choice });
  } catch (error) {
    release();
    throw error;
  }
  let server;
  try {
    server = await startServer({
      store,
      artifactRoot: join(storeDir, 'artifacts'),
      host: values.host,
      port,
      token: values.token,
      log: (line) => console.error(line),
    });
  } catch (error) {
    store.close();
    release();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new UsageError(`Port ${port} is already in use. Pick another with --port, or --port 0 for any free port.`);
    }
    throw error;
  }
  console.log(`Runboard tracking server listening on ${server.url}`);
  console.log(`Store: ${storeDir}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.close();
    store.close();
    release();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'serve') return serve(rest);
  if (command === 'copy') {
    try {
      process.exitCode = await copyCommand(rest);
    } catch (error) {
      if (error instanceof CopyUsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
        console.error(`runboard copy: ${(error as Error).message}\n\n${COPY_USAGE}`);
        process.exitCode = 2;
        return;
      }
      throw error;
    }
    return;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return;
  }
  throw new UsageError(`Unknown command '${command}'.`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    console.error(`runboard: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`runboard: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
