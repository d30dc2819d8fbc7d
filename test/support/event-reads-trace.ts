/**
 * Test seam (not a test): preloaded into a CLI child process (`NODE_OPTIONS=--import <this file's
 * dist path>`, EVENT_READS_TRACE=<file>), it records every events row the process reads with
 * its body, one line per row ("<stream> <seq>"), so a test can check what a command really
 * reads (e.g. that `replay verify` reads each event once) without a hook in the product code.
 * It wraps the two engines' query entry points: node-postgres' Client.prototype.query (what the
 * pool's queries and transactions call) and PGlite.prototype.query (the embedded store's db.query;
 * its transactions are not traced: no event read of a replay runs in one).
 */
import { appendFileSync } from 'node:fs';

const out = process.env.EVENT_READS_TRACE;
/** A query that reads events rows with their body (the reads a verification or a replay makes). */
const READS_BODIES = /\bbody\b[\s\S]*\bFROM events\b/;

/** The store's reads of events name the stream as their first parameter. */
function record(sql: unknown, params: unknown, rows: unknown): void {
  if (out === undefined || typeof sql !== 'string' || !READS_BODIES.test(sql) || !Array.isArray(rows) || rows.length === 0) return;
  const stream = Array.isArray(params) ? String(params[0]) : '?';
  appendFileSync(out, rows.map((r: { seq?: unknown }) => `${stream} ${String(r.seq)}\n`).join(''));
}

type Callback = (e: Error | null, r?: { rows?: unknown[] }) => void;

const pg = (await import('pg')).default;
const clientQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: unknown, ...args: unknown[]): unknown {
  const first = args[0];
  const sql = typeof first === 'string' ? first : (first as { text?: unknown } | undefined)?.text;
  const params = typeof first === 'string' ? args[1] : (first as { values?: unknown } | undefined)?.values ?? args[1];
  const last = args.length - 1;
  if (typeof args[last] === 'function') {
    const cb = args[last] as Callback;
    args[last] = (e: Error | null, r?: { rows?: unknown[] }) => {
      if (!e) record(sql, params, r?.rows);
      cb(e, r);
    };
    return clientQuery.apply(this, args);
  }
  const p = clientQuery.apply(this, args);
  if (p instanceof Promise) return p.then((r: { rows?: unknown[] }) => (record(sql, params, r?.rows), r));
  return p;
};

const { PGlite } = await import('@electric-sql/pglite');
const pgliteQuery = PGlite.prototype.query;
PGlite.prototype.query = async function (this: InstanceType<typeof PGlite>, ...args: Parameters<typeof pgliteQuery>) {
  const r = await pgliteQuery.apply(this, args);
  record(args[0], args[1], r.rows);
  return r;
} as typeof pgliteQuery;
