import { DRIVER_NAMES, type DriverName, type SqlDriver } from '../driver';
import { loadBetterSqlite, openBetterSqlite } from './better-sqlite';
import { loadNodeSqlite, openNodeSqlite } from './node-sqlite';
import { loadWasmSqlite, openWasmSqlite } from './wasm-sqlite';

/** `auto` picks the first driver that works here; a name forces that one (for diagnosis). */
export type DriverPreference = 'auto' | DriverName;
export const DRIVER_PREFERENCES: readonly DriverPreference[] = ['auto', ...DRIVER_NAMES];

/** Which driver serves a store, and why each one before it in the order was passed over. */
export interface DriverChoice {
  readonly name: DriverName;
  readonly preference: DriverPreference;
  readonly passedOver: readonly { readonly name: DriverName; readonly reason: string }[];
}

/**
 * In the order they are tried: node:sqlite is part of the runtime (nothing to match), better-sqlite3 loads
 * only in the ABI it was compiled for, and the WebAssembly build runs anywhere but serves one process.
 * Each probe opens an in-memory database, so "loads" means "works", and runs once per process.
 */
const DRIVERS: Readonly<Record<DriverName, { probe(): void; open(file: string): SqlDriver }>> = {
  'node:sqlite': {
    probe: () => {
      const { DatabaseSync } = loadNodeSqlite();
      const db = new DatabaseSync(':memory:');
      db.prepare('SELECT sqlite_version()').get();
      db.close();
    },
    open: openNodeSqlite,
  },
  'better-sqlite3': {
    probe: () => new (loadBetterSqlite())(':memory:').close(),
    open: openBetterSqlite,
  },
  wasm: {
    probe: () => void loadWasmSqlite(),
    open: openWasmSqlite,
  },
};

const probes = new Map<DriverName, string | undefined>();

/** Why the driver cannot run in this process, or undefined when it can. */
export function unavailableReason(name: DriverName): string | undefined {
  if (!probes.has(name)) {
    try {
      DRIVERS[name].probe();
      probes.set(name, undefined);
    } catch (error) {
      probes.set(name, whyNot(name, error));
    }
  }
  return probes.get(name);
}

/** The preference from RUNBOARD_SQLITE_DRIVER (how tests and `runboard serve` users force one), else auto. */
export function preferenceFromEnvironment(env: NodeJS.ProcessEnv = process.env): DriverPreference {
  const value = env.RUNBOARD_SQLITE_DRIVER?.trim();
  if (!value) return 'auto';
  return parseDriverPreference(value);
}

export function parseDriverPreference(value: string): DriverPreference {
  if ((DRIVER_PREFERENCES as readonly string[]).includes(value)) return value as DriverPreference;
  throw new Error(`Unknown SQLite driver '${value}': use one of ${DRIVER_PREFERENCES.join(', ')}.`);
}

/** A driver named by the setting (or RUNBOARD_SQLITE_DRIVER, --driver) cannot run here; `auto` would pick another. */
export class ForcedDriverError extends Error {
  constructor(
    readonly driver: DriverName,
    readonly reason: string,
  ) {
    super(`The SQLite driver ${driver} (set to be used) does not work here: ${reason}`);
  }
}

/** The driver for this preference in this process, or an error naming what each driver lacks here. */
export function chooseDriver(preference: DriverPreference = preferenceFromEnvironment()): DriverChoice {
  if (preference !== 'auto') {
    const reason = unavailableReason(preference);
    if (reason) throw new ForcedDriverError(preference, reason);
    return { name: preference, preference, passedOver: [] };
  }
  const passedOver: { name: DriverName; reason: string }[] = [];
  for (const name of DRIVER_NAMES) {
    const reason = unavailableReason(name);
    if (!reason) return { name, preference, passedOver };
    passedOver.push({ name, reason });
  }
  throw new Error(`No SQLite driver works in this runtime: ${passedOver.map((p) => `${p.name}: ${p.reason}`).join('; ')}`);
}

/** Opens the database file with the chosen driver. Errors of the file itself (corrupt, locked) are not retried elsewhere. */
export function openSqlite(file: string, choice: DriverChoice = chooseDriver()): SqlDriver {
  return DRIVERS[choice.name].open(file);
}

/** One line for logs and the status bar: `node:sqlite (better-sqlite3 passed over: ...)`. */
export function describeDriverChoice(choice: DriverChoice): string {
  const forced = choice.preference === 'auto' ? '' : ' (forced)';
  const passed = choice.passedOver.map((p) => `${p.name}: ${p.reason}`).join('; ');
  return `${choice.name}${forced}${passed ? `; passed over ${passed}` : ''}`;
}

/** The loader's error in a few words: these are the messages a user pastes into an issue. */
function whyNot(name: DriverName, error: unknown): string {
  const message = String((error as Error)?.message ?? error);
  const code = (error as { code?: string })?.code;
  if (name === 'node:sqlite' && (code === 'ERR_UNKNOWN_BUILTIN_MODULE' || /No such built-in module/.test(message))) {
    const runtime = `Node ${process.versions.node}${process.versions.electron ? `, Electron ${process.versions.electron}` : ''}`;
    const disabled = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes('--no-experimental-sqlite');
    return disabled ? `turned off in this runtime (${runtime}, --no-experimental-sqlite)` : `not in this runtime (${runtime})`;
  }
  const abi = /NODE_MODULE_VERSION (\d+)\. This version of Node\.js requires\s+NODE_MODULE_VERSION (\d+)/.exec(message);
  if (abi) return `its compiled module is for NODE_MODULE_VERSION ${abi[1]}, this runtime needs ${abi[2]}`;
  if (code === 'MODULE_NOT_FOUND') return 'not installed';
  if (/Could not locate the bindings file/.test(message)) return 'no compiled module for this platform in the package';
  if (name === 'wasm' && code === 'ENOENT') return `its WebAssembly module is missing (${(error as { path?: string }).path ?? message})`;
  return message.split('\n')[0]!.slice(0, 300);
}
