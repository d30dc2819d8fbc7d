/**
 * The one database interface the store is written against, implemented by PGlite (embedded)
 * and node-postgres (server). SQL is shared; only connection, transactions and value decoding
 * differ. Values are normalized at this edge: int8 -> number (seq values stay below 2^53),
 * bytea -> Uint8Array.
 */
export type Engine = 'pglite' | 'postgres';

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs several statements (a migration file) with no parameters. */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly engine: Engine;
  /** Schema all unqualified names resolve to (search_path). */
  readonly schema: string;
  /** A human description without secrets, e.g. "pglite:./data/warden.pglite". */
  readonly description: string;
  /**
   * LISTEN on `channel` (a lower-case identifier): `onPayload` gets each notification's payload,
   * `onError` a lost connection (no more notifications come: the caller falls back to polling).
   * Resolves to the unlisten. PostgreSQL: one dedicated connection; PGlite: its own notifications.
   */
  listen(channel: string, onPayload: (payload: string) => void, onError?: (e: Error) => void): Promise<() => Promise<void>>;
  /** Runs fn in one transaction; commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;
/** A LISTEN/NOTIFY channel name (written into the SQL: so only an identifier). */
export const CHANNEL_RE = SCHEMA_RE;

export function checkChannelName(channel: string): void {
  if (!CHANNEL_RE.test(channel)) throw new Error(`channel name ${JSON.stringify(channel)} must match ${CHANNEL_RE}`);
}

export function checkSchemaName(schema: string): void {
  if (!SCHEMA_RE.test(schema)) throw new Error(`schema name ${JSON.stringify(schema)} must match ${SCHEMA_RE}`);
}

export function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new Error(`expected bytea, got ${typeof v}`);
}

export function toInt(v: unknown, what: string): number {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new Error(`${what}: expected an integer, got ${String(v)}`);
  return n;
}
