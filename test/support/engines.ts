/**
 * Runs store tests on BOTH engines. Every test gets its own schema, migrated unless asked
 * otherwise: on PGlite one instance per describeEngines block, on a data directory of its own
 * copied from the cached pristine cluster (./pglite-template.ts), on PostgreSQL a schema in the
 * `test` database (TEST_DATABASE_URL overrides the URL).
 *
 * Why a directory and not an in-memory instance: a new in-memory PGlite runs initdb, 6-7 s of CPU
 * each on the 2-core machine, and the suite makes 30 of them (one per block); opening a copied
 * cluster costs about 1 s. A directory is also what the product runs on (an in-memory instance
 * loaded from a PGlite dump, the other way around initdb, made a timing-bound feed test fail).
 *
 * PostgreSQL is required: if it cannot be reached the suite FAILS with the command that starts
 * it; it never skips (DEVELOPERS.md: in CI a missing PostgreSQL is a failure).
 * Test connections are superusers (to tamper around triggers); use SET LOCAL ROLE warden_runtime
 * inside a transaction to act as the runtime. Tests inside one file run one after another (node:test's default), which the shared PGlite
 * instance relies on (one search_path per instance at a time).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import type { Db, Engine } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import { pgliteStartParams, wrapPglite } from '../../src/store/pglite.js';
import { openPostgres } from '../../src/store/postgres.js';
import { seedPgliteDir } from './pglite-template.js';

export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const ENGINES: readonly Engine[] = ['pglite', 'postgres'];

let counter = 0;
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}_${Math.floor(Math.random() * 1e6)}`;
}

/** Fails (never skips) with instructions when PostgreSQL is unreachable. */
export async function requirePostgres(url = TEST_PG_URL): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    throw new Error(
      `PostgreSQL is required for the store tests and is unreachable at ${url}: ${(e as Error).message}. ` +
        'Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' +
        (process.env.CI ? ' (CI=true: a missing PostgreSQL is a failure)' : ''),
      { cause: e },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface EngineContext {
  readonly engine: Engine;
  /** A new schema of its own, migrated unless { migrated: false }. Closed/dropped after the file. */
  freshDb(opts?: { migrated?: boolean }): Promise<Db>;
}

/** describe() the body once per engine, with a context that hands out fresh databases. */
export function describeEngines(name: string, body: (ctx: EngineContext) => void): void {
  for (const engine of ENGINES) {
    describe(`${name} [${engine}]`, () => {
      let pglite: PGlite | undefined;
      let pgliteDir: string | undefined;
      const opened: Db[] = [];
      const schemas: string[] = [];
      before(async () => {
        if (engine === 'pglite') {
          const { PGlite } = await import('@electric-sql/pglite');
          pgliteDir = mkdtempSync(join(tmpdir(), 'warden-test-engine-'));
          await seedPgliteDir(join(pgliteDir, 'store'));
          pglite = await PGlite.create(join(pgliteDir, 'store'), { startParams: pgliteStartParams(PGlite.defaultStartParams) }); // as the product opens it
        } else {
          await requirePostgres();
        }
      });
      after(async () => {
        for (const db of opened.reverse()) await db.close().catch(() => undefined);
        if (engine === 'postgres' && schemas.length > 0) {
          const admin = await openPostgres(TEST_PG_URL, 'public');
          for (const s of schemas) await admin.exec(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
          await admin.close();
        }
        await pglite?.close();
        if (pgliteDir !== undefined) rmSync(pgliteDir, { recursive: true, force: true });
      });
      const ctx: EngineContext = {
        engine,
        async freshDb(opts = {}) {
          const schema = uniqueName('t');
          schemas.push(schema);
          let db: Db;
          if (engine === 'pglite') {
            await pglite!.exec(`CREATE SCHEMA ${schema}`);
            db = await wrapPglite(pglite!, schema, `pglite:memory:(${schema})`);
          } else {
            const admin = await openPostgres(TEST_PG_URL, 'public');
            await admin.exec(`CREATE SCHEMA ${schema}`);
            await admin.close();
            db = await openPostgres(TEST_PG_URL, schema);
          }
          opened.push(db);
          if (opts.migrated !== false) await migrate(db);
          return db;
        },
      };
      body(ctx);
    });
  }
}

/** Creates a PostgreSQL database of its own; returns its URL and a drop function. */
export async function tempPgDatabase(adminUrl: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The maintenance database of the test server: CREATE/DROP DATABASE run from here, not from the target. */
export function adminPgUrl(): string {
  const u = new URL(TEST_PG_URL);
  u.pathname = '/postgres';
  return u.toString();
}

/**
 * A store of its own for a process-level test: a new PGlite directory under a temp dir (a copy of
 * the cached pristine cluster, ./pglite-template.ts: not yet migrated, as `warden init` finds a
 * store it just created), or a new
 * PostgreSQL database (required: a missing server fails, never skips). `cleanup` drops the
 * database and removes the temp dir (which also holds snapshot files and configs of the test).
 */
export async function processStore(engine: Engine, prefix: string): Promise<{ dir: string; url: string; cleanup: () => Promise<void> }> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  if (engine === 'pglite') {
    await seedPgliteDir(join(dir, 'store.pglite')); // a new store as the product makes it, without initdb's cost again
    return { dir, url: `pglite:${join(dir, 'store.pglite')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  await requirePostgres();
  const db = await tempPgDatabase(adminPgUrl(), uniqueName(prefix.replace(/[^a-z0-9]/g, '_')));
  return {
    dir, url: db.url,
    cleanup: async () => {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
