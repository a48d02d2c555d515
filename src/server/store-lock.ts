import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '../store/process-alive';
import { LEASE_FILE, LOCK_FILE, type ServerLease } from '../api/server-host-protocol';

/**
 * One writer per store: a lock file naming the process that serves it; a dead owner's lock is taken over.
 * Used by the extension's server worker and by `runboard copy` on a store folder.
 */
export function acquireStoreLock(lockPath: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // The owner may be this very process (another window's worker cannot be; the host clears the
      // lock of a worker of its own that died), so only a dead owner's lock is taken over.
      const owner = Number(readFileSync(lockPath, 'utf8').trim());
      if (owner && isProcessAlive(owner)) return false;
      rmSync(lockPath, { force: true });
    }
  }
  return false;
}


/** Locks a store folder for this process; returns the release, or undefined when another live process serves it. */
export function lockStoreFolder(storeDir: string): (() => void) | undefined {
  mkdirSync(storeDir, { recursive: true });
  const lockPath = join(storeDir, LOCK_FILE);
  if (!acquireStoreLock(lockPath)) return undefined;
  return () => rmSync(lockPath, { force: true });
}

/** The URL of the server that holds a store folder, as its lease names it (VS Code's, when it runs). */
export function storeLeaseUrl(storeDir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(storeDir, LEASE_FILE), 'utf8')) as ServerLease).url;
  } catch {
    return undefined;
  }
}
