/**
 * Opens the store named by WARDEN_DATABASE_URL: `pglite:<dir>` (embedded, the default profile),
 * `pglite:memory:` (in memory, nothing kept) or `postgres://...` / `postgresql://...`.
 */
import type { Db } from './db.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

/** The schema Warden's tables live in. Tests use their own schema per test. */
export const WARDEN_SCHEMA = 'warden';

export type StoreUrl = { engine: 'pglite'; dir: string } | { engine: 'postgres'; url: string };

export function parseStoreUrl(url: string): StoreUrl | null {
  if (url.startsWith('pglite:')) {
    const dir = url.slice('pglite:'.length);
    return dir.length > 0 ? { engine: 'pglite', dir } : null;
  }
  if (/^postgres(ql)?:\/\/[^/]/.test(url)) return { engine: 'postgres', url };
  return null;
}

/**
 * `create` (default true): whether an embedded store that does not exist yet is created. Commands
 * that only read or need a migrated store pass false, so a mistyped `pglite:` path fails (exit 69,
 * naming it) instead of leaving a new 39 MB directory behind. A PostgreSQL database is never created.
 */
export async function openDb(url: string, opts: { schema?: string; command: string; create?: boolean }): Promise<Db> {
  const parsed = parseStoreUrl(url);
  if (!parsed) throw new Error(`not a store URL: ${url}`);
  const schema = opts.schema ?? WARDEN_SCHEMA;
  return parsed.engine === 'pglite' ? openPglite(parsed.dir, schema, opts.command, opts.create ?? true) : openPostgres(parsed.url, schema);
}
