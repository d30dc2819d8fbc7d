/**
 * Runs `fn` against a view of `db` inside one transaction that is always rolled back: a test can
 * tamper with stored history (around the triggers), look, and leave the store as it was.
 */
import type { Db, Queryable } from '../../src/store/db.js';

class Rollback extends Error {}

export async function withRollback<T>(db: Db, fn: (view: Db, tx: Queryable) => Promise<T>): Promise<T> {
  let result: T | undefined;
  try {
    await db.transaction(async (tx) => {
      const view: Db = { ...db, query: tx.query, exec: tx.exec, transaction: (f) => f(tx), close: async () => undefined };
      result = await fn(view, tx);
      throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
  return result as T;
}
