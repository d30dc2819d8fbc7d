/**
 * Embedded engine: PGlite (Postgres compiled to WASM) in this process.
 *
 * Facts designed around: one process per data directory (enforced with a lock file beside it);
 * no fsync (the store survives a process crash, not a power loss or OS crash: infra docs say
 * so); start-up takes seconds, so only commands that need the store open it.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { checkChannelName, checkSchemaName, type Db, type Queryable } from './db.js';
import { acquireLock, type HeldLock } from './lockfile.js';
import { StoreUnavailableError } from './errors.js';

export const PGLITE_MEMORY = 'memory:';

/**
 * PostgreSQL's buffer pool inside PGlite. PGlite's cluster says 128MB, and PGlite zero-fills the
 * whole pool when it starts: measured on the 2-core machine, opening a store took 1.1-1.4 s and
 * left the process at ~310 MB RSS; with 32MB, 0.75 s and ~200 MB (16MB gained nothing more). Every
 * command on the embedded store pays the start (`warden directives list` included). A store's
 * pages stay in the OS page cache either way (PGlite reads its files with plain syscalls), and
 * PostgreSQL reads large scans through a small ring, not the pool, at any size.
 */
export const PGLITE_SHARED_BUFFERS = '32MB';

/** PGlite's own start parameters (fsync off, single user, ...) and the buffer pool above. */
export function pgliteStartParams(defaults: readonly string[]): string[] {
  return [...defaults, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`];
}

const BYTEA_OID = 17;
const BYTEA_ARRAY_OID = 1001;

const hexOf = (x: unknown): string => {
  if (!(x instanceof Uint8Array)) throw new Error('Invalid input for bytea type');
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex');
};

/** An array literal of bytea: {"\\x0a0b",NULL,...} (the backslash is escaped inside quotes). */
function byteaArrayLiteral(xs: unknown): string {
  if (!Array.isArray(xs)) return xs as string;
  let out = '{';
  for (let i = 0; i < xs.length; i++) {
    const x: unknown = xs[i];
    if (i > 0) out += ',';
    out += x === null || x === undefined ? 'NULL' : Array.isArray(x) ? byteaArrayLiteral(x) : `"\\\\x${hexOf(x)}"`;
  }
  return out + '}';
}

/**
 * bytea in and out of PGlite as hex through Buffer. PGlite's own bytea (de)serializers convert
 * byte by byte (Array.from + toString(16) + join, parseInt per byte pair): measured here they
 * were the largest cost of an append (~40 % of the CPU of a 1,000-row unnest insert) and made a
 * bytea column read ~3x slower than selecting encode(col, 'hex'). Same values, same types
 * (Uint8Array), only faster; options per query, so the PGlite instance itself is not changed.
 */
const QUERY_OPTIONS = {
  serializers: {
    [BYTEA_OID]: (x: unknown) => `\\x${hexOf(x)}`,
    [BYTEA_ARRAY_OID]: byteaArrayLiteral,
  },
  parsers: {
    [BYTEA_OID]: (x: string): Uint8Array => {
      const b = Buffer.from(x.slice(2), 'hex');
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    },
  },
};

function wrapQueryable(q: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      const res = await q.query<R>(sql, params as unknown[] | undefined, QUERY_OPTIONS);
      return res.rows;
    },
    async exec(sql: string): Promise<void> {
      await q.exec(sql);
    },
  };
}

/** Wraps an open PGlite instance. search_path is set once: one schema per instance in use. */
export async function wrapPglite(pg: PGlite, schema: string, description: string, onClose?: () => Promise<void>): Promise<Db> {
  checkSchemaName(schema);
  await pg.exec(`SET search_path TO ${schema}`);
  const base = wrapQueryable(pg);
  return {
    engine: 'pglite',
    schema,
    description,
    query: base.query,
    exec: base.exec,
    transaction(fn) {
      return pg.transaction((tx) => fn(wrapQueryable(tx)));
    },
    async listen(channel, onPayload) {
      checkChannelName(channel);
      const unlisten = await pg.listen(channel, onPayload);
      return async () => {
        if (!pg.closed) await unlisten().catch(() => undefined);
      };
    },
    async close() {
      if (onClose) await onClose();
    },
  };
}

const errText = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? (e instanceof Error ? e.message : String(e));

/**
 * Where an embedded store can live, checked before anything is created: `abs` is a PGlite data
 * directory (it has PG_VERSION), or absent (then created when `create`) with a folder that is a
 * directory or can be made. Throws StoreUnavailableError (exit 69) naming the path and why.
 */
function checkStoreDir(abs: string, create: boolean): void {
  const unavailable = (why: string) => new StoreUnavailableError(`cannot open the embedded store at ${abs} (WARDEN_DATABASE_URL): ${why}`);
  let st;
  try {
    st = statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw unavailable('a part of the path is a file, not a directory');
    if (code !== 'ENOENT') throw unavailable(`cannot use it (${errText(e)})`);
    if (!create) throw unavailable('there is no store there; nothing was created (a mistyped path? `warden migrate` creates a new store)');
    try {
      mkdirSync(dirname(abs), { recursive: true });
    } catch (e2) {
      throw unavailable(`cannot create its folder ${dirname(abs)} (${errText(e2)})`);
    }
    return;
  }
  if (!st.isDirectory()) throw unavailable('it is a file, not a store directory');
  let hasVersion = false;
  try {
    hasVersion = statSync(join(abs, 'PG_VERSION')).isFile();
  } catch { /* not a data directory */ }
  if (!hasVersion && !create) throw unavailable('the directory is not an embedded store (no PG_VERSION); nothing was created');
}

/**
 * Opens `dir` (created if absent and `create`) or an in-memory instance for PGLITE_MEMORY.
 * `command` is written into the lock file so a second process can name the holder.
 */
export async function openPglite(dir: string, schema: string, command: string, create = true): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  let lock: HeldLock | undefined;
  let pg: PGlite;
  let description: string;
  if (dir === PGLITE_MEMORY) {
    pg = await PGlite.create({ startParams: pgliteStartParams(PGlite.defaultStartParams) });
    description = 'pglite:memory:';
  } else {
    const abs = resolve(dir);
    checkStoreDir(abs, create);
    lock = acquireLock(`${abs}.lock`, command);
    try {
      pg = await PGlite.create(abs, { startParams: pgliteStartParams(PGlite.defaultStartParams) });
    } catch (e) {
      lock.release();
      throw new StoreUnavailableError(`cannot open the embedded store at ${abs}: ${errText(e)}`);
    }
    description = `pglite:${dir}`;
  }
  let closed = false;
  return wrapPglite(pg, schema, description, async () => {
    if (closed) return;
    closed = true;
    try {
      await pg.close();
    } finally {
      lock?.release();
    }
  });
}
