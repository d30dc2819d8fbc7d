/**
 * Server engine: PostgreSQL through node-postgres. A small pool; every connection gets the
 * store's schema as its search_path at connect time, so the shared SQL needs no qualification.
 * Connection failures are bounded (connect timeout) and reported as StoreUnavailableError.
 */
import { checkChannelName, checkSchemaName, type Db, type Queryable } from './db.js';
import { StoreUnavailableError } from './errors.js';

export const PG_CONNECT_TIMEOUT_MS = 5_000;
export const PG_POOL_SIZE_MAX = 4;

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

export async function openPostgres(url: string, schema: string): Promise<Db> {
  checkSchemaName(schema);
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({
    connectionString: url,
    max: PG_POOL_SIZE_MAX,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    options: `-c search_path=${schema}`,
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const description = redactUrl(url);
  try {
    const c = await pool.connect();
    c.release();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new StoreUnavailableError(`cannot connect to PostgreSQL at ${description}: ${(e as Error).message}`);
  }
  // Without params node-postgres uses the simple protocol, which accepts several statements.
  const q = (client: { query: (sql: string, params?: unknown[]) => Promise<{ rows: unknown[] }> }): Queryable => ({
    async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      const res = await client.query(sql, params as unknown[] | undefined);
      return res.rows as R[];
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  });
  const base = q(pool);
  let closed = false;
  const listeners = new Set<InstanceType<typeof pg.Client>>();
  return {
    engine: 'postgres',
    schema,
    description,
    query: base.query,
    exec: base.exec,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(q(client));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload, onError) {
      checkChannelName(channel);
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS });
      client.on('notification', (m) => {
        if (m.channel === channel) onPayload(m.payload ?? '');
      });
      client.on('error', (e) => onError?.(e));
      try {
        await client.connect();
        await client.query(`LISTEN ${channel}`);
      } catch (e) {
        await client.end().catch(() => undefined);
        throw new StoreUnavailableError(`cannot LISTEN ${channel} on PostgreSQL at ${description}: ${(e as Error).message}`);
      }
      listeners.add(client);
      return async () => {
        if (!listeners.delete(client)) return;
        await client.end().catch(() => undefined);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const c of listeners) await c.end().catch(() => undefined);
      listeners.clear();
      await pool.end();
    },
  };
}
