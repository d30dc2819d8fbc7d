/**
 * Explicit migrations (infra/DB_MIGRATION_MODEL.md). Versioned SQL files in migrations/
 * (NNNN_name.sql), applied in order, one transaction each, recorded in schema_migrations with
 * the sha256 of the file. Only `warden migrate` applies them; the runtime calls verifySchema and
 * refuses to start unless the database has exactly the migrations this build ships.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';
import { SchemaError } from './errors.js';

const FILE_RE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string; // sha256 hex of the file bytes
}

export type MigrationState = 'applied' | 'pending' | 'checksum_mismatch' | 'unknown_to_this_build';

export interface MigrationStatus {
  version: number;
  name: string;
  state: MigrationState;
  applied_at: string | null;
  file: string | null;
}

/** The migrations/ folder shipped with this build (dist/src/store -> ../../../migrations). */
export function defaultMigrationsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'migrations');
}

export function loadMigrations(dir = defaultMigrationsDir()): Migration[] {
  const out: Migration[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.sql')) continue;
    const m = FILE_RE.exec(f);
    if (!m) throw new SchemaError(`${join(dir, f)}: migration file names must look like 0001_name.sql`);
    const bytes = readFileSync(join(dir, f));
    const version = Number(m[1]);
    if (out.some((x) => x.version === version)) throw new SchemaError(`${join(dir, f)}: version ${m[1]} is used twice`);
    out.push({ version, name: m[2]!, file: join(dir, f), sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') });
  }
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new SchemaError(`${m.file}: expected version ${String(i + 1).padStart(4, '0')} (versions are consecutive from 0001)`);
  });
  return out;
}

const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;

interface AppliedRow { version: number; name: string; checksum: string; applied_at: string | Date }

async function applied(db: Db): Promise<AppliedRow[] | null> {
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!exists[0]?.t) return null;
  return db.query<AppliedRow>('SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version');
}

export async function migrationStatus(db: Db, migrations = loadMigrations()): Promise<MigrationStatus[]> {
  const rows = (await applied(db)) ?? [];
  const byVersion = new Map(rows.map((r) => [Number(r.version), r]));
  const out: MigrationStatus[] = migrations.map((m) => {
    const r = byVersion.get(m.version);
    const at = r ? new Date(r.applied_at).toISOString() : null;
    if (!r) return { version: m.version, name: m.name, state: 'pending', applied_at: null, file: m.file };
    return { version: m.version, name: m.name, state: r.checksum === m.checksum ? 'applied' : 'checksum_mismatch', applied_at: at, file: m.file };
  });
  for (const r of rows) {
    if (!migrations.some((m) => m.version === Number(r.version))) {
      out.push({ version: Number(r.version), name: r.name, state: 'unknown_to_this_build', applied_at: new Date(r.applied_at).toISOString(), file: null });
    }
  }
  return out.sort((a, b) => a.version - b.version);
}

function refuseDrift(status: MigrationStatus[]): void {
  const bad = status.find((s) => s.state === 'checksum_mismatch');
  if (bad) {
    throw new SchemaError(
      `${bad.file}: migration ${String(bad.version).padStart(4, '0')} was changed after it was applied (checksum differs). ` +
        'Released migrations are never edited: restore the file and add a new migration instead.',
    );
  }
  const unknown = status.find((s) => s.state === 'unknown_to_this_build');
  if (unknown) {
    throw new SchemaError(
      `the database has migration ${String(unknown.version).padStart(4, '0')}_${unknown.name}, which this build does not know: ` +
        'it was migrated by a newer Warden. Run that version, or restore a matching backup.',
    );
  }
}

/** Applies pending migrations in order, each in its own transaction. Returns those applied. */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<MigrationStatus[]> {
  await db.exec(`CREATE SCHEMA IF NOT EXISTS ${db.schema}`);
  await db.exec(LEDGER_DDL);
  const status = await migrationStatus(db, migrations);
  refuseDrift(status);
  const done: MigrationStatus[] = [];
  for (const m of migrations) {
    if (status.find((s) => s.version === m.version)?.state !== 'pending') continue;
    await db.transaction(async (tx) => {
      // Serialize concurrent `migrate` runs on the same schema; the loser sees the row and skips.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('warden.migrate.' || current_schema()))`);
      const again = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations WHERE version = $1', [m.version]);
      if ((again[0]?.n ?? 0) > 0) return; // a concurrent migrate applied it
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
    });
    done.push({ version: m.version, name: m.name, state: 'applied', applied_at: null, file: m.file });
  }
  return done;
}

/**
 * The runtime's check: the database must have exactly the migrations this build ships.
 * Throws SchemaError with the command that fixes it.
 */
export async function verifySchema(db: Db, migrations = loadMigrations(), fixCommand = 'warden migrate'): Promise<number> {
  const rows = await applied(db);
  const expected = migrations.at(-1)?.version ?? 0;
  if (rows === null) {
    throw new SchemaError(`the store at ${db.description} has no Warden schema (schema "${db.schema}" is not migrated). Run: ${fixCommand}`);
  }
  const status = await migrationStatus(db, migrations);
  refuseDrift(status);
  const pending = status.filter((s) => s.state === 'pending');
  if (pending.length > 0) {
    throw new SchemaError(
      `the store at ${db.description} is at schema version ${expected - pending.length}, this build needs ${expected} ` +
        `(${pending.length} pending: ${pending.map((p) => `${String(p.version).padStart(4, '0')}_${p.name}`).join(', ')}). Run: ${fixCommand}`,
    );
  }
  return expected;
}
