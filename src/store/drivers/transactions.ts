/**
 * Transactions for drivers without a helper of their own (node:sqlite, the WebAssembly build), with the
 * semantics better-sqlite3's `db.transaction()` has, so the store behaves the same on every driver: the
 * outermost call is BEGIN ... COMMIT, nested calls are savepoints, and a throw rolls back only its own level.
 */
export interface TransactionDriver {
  /** Runs one statement (prepared once per text by the caller: BEGIN/COMMIT are on the ingest hot path). */
  run(sql: string): void;
  /**
   * Whether a transaction is open: SQLite may already have rolled back by itself (a full disk, an I/O error).
   * undefined when the driver cannot tell (node:sqlite before 22.16): the rollback is tried, and SQLite's
   * "no transaction is active" means there was nothing left to undo.
   */
  inTransaction(): boolean | undefined;
}

export function transactions(db: TransactionDriver): <T>(fn: () => T) => T {
  let depth = 0;
  return <T>(fn: () => T): T => {
    const savepoint = depth === 0 ? undefined : `runboard_sp${depth}`;
    db.run(savepoint ? `SAVEPOINT ${savepoint}` : 'BEGIN');
    depth++;
    let result: T;
    try {
      result = fn();
      db.run(savepoint ? `RELEASE ${savepoint}` : 'COMMIT');
    } catch (error) {
      rollback(db, savepoint);
      throw error;
    } finally {
      depth--;
    }
    return result;
  };
}

function rollback(db: TransactionDriver, savepoint: string | undefined): void {
  const open = db.inTransaction();
  if (open === false) return;
  try {
    if (savepoint) {
      db.run(`ROLLBACK TO ${savepoint}`);
      db.run(`RELEASE ${savepoint}`);
    } else {
      db.run('ROLLBACK');
    }
  } catch (error) {
    if (open === undefined && /no transaction is active|no such savepoint/.test((error as Error).message)) return;
    throw error;
  }
}
