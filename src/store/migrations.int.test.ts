/** Explicit migrations on both engines: apply, status, drift refusal, the runtime's schema check. */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { defaultMigrationsDir, loadMigrations, migrate, migrationStatus, verifySchema } from './migrations.js';
import { SchemaError } from './errors.js';

function copyMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-mig-'));
  cpSync(defaultMigrationsDir(), dir, { recursive: true });
  return dir;
}

describeEngines('migrations', (ctx) => {
  test('an empty schema: verifySchema refuses and names the fixing command; migrate applies all, once', async () => {
    const db = await ctx.freshDb({ migrated: false });
    await assert.rejects(verifySchema(db), (e: unknown) => e instanceof SchemaError && e.exitCode === 65 && /Run: warden migrate$/.test(e.message));
    const all = loadMigrations();
    assert.deepEqual((await migrationStatus(db)).map((s) => s.state), all.map(() => 'pending'));
    assert.deepEqual((await migrate(db)).map((m) => m.version), all.map((m) => m.version));
    assert.deepEqual(await migrate(db), []);
    assert.equal(await verifySchema(db), all.at(-1)!.version);
    assert.ok((await migrationStatus(db)).every((s) => s.state === 'applied'));
  });

  test('a pending migration makes the runtime check fail with the versions and the command', async () => {
    const db = await ctx.freshDb();
    const dir = copyMigrations();
    const next = String(loadMigrations(dir).length + 1).padStart(4, '0');
    writeFileSync(join(dir, `${next}_add_thing.sql`), 'CREATE TABLE thing (x int);\n');
    await assert.rejects(verifySchema(db, loadMigrations(dir)), (e: Error) => new RegExp(`1 pending: ${next}_add_thing\\). Run: warden migrate`).test(e.message));
    await migrate(db, loadMigrations(dir));
    assert.equal(await verifySchema(db, loadMigrations(dir)), Number(next));
  });

  test('an applied migration that was edited is refused, naming the file; nothing else is applied', async () => {
    const db = await ctx.freshDb();
    const dir = copyMigrations();
    appendFileSync(join(dir, '0001_event_store.sql'), '\n-- sneaky edit\n');
    const next = String(loadMigrations(dir).length + 1).padStart(4, '0');
    writeFileSync(join(dir, `${next}_later.sql`), 'CREATE TABLE later (x int);\n');
    const re = /0001_event_store\.sql: migration 0001 was changed after it was applied/;
    await assert.rejects(migrate(db, loadMigrations(dir)), (e: Error) => e instanceof SchemaError && re.test(e.message));
    await assert.rejects(verifySchema(db, loadMigrations(dir)), re);
    assert.equal((await migrationStatus(db, loadMigrations(dir)))[0]!.state, 'checksum_mismatch');
    const [t] = await db.query<{ t: string | null }>("SELECT to_regclass('later')::text AS t");
    assert.equal(t!.t, null);
  });

  test('a database migrated by a newer build is refused', async () => {
    const db = await ctx.freshDb();
    await db.query("INSERT INTO schema_migrations (version, name, checksum) VALUES (99, 'from_the_future', 'x')");
    await assert.rejects(verifySchema(db), /has migration 0099_from_the_future, which this build does not know/);
  });

  test('a failing migration is rolled back whole and not recorded', async () => {
    const db = await ctx.freshDb();
    const dir = copyMigrations();
    const next = String(loadMigrations(dir).length + 1).padStart(4, '0');
    writeFileSync(join(dir, `${next}_broken.sql`), 'CREATE TABLE half (x int);\nSELECT no_such_function();\n');
    await assert.rejects(migrate(db, loadMigrations(dir)), /no_such_function/);
    const [t] = await db.query<{ t: string | null }>("SELECT to_regclass('half')::text AS t");
    assert.equal(t!.t, null);
    assert.equal((await migrationStatus(db, loadMigrations(dir))).at(-1)!.state, 'pending');
  });
});

test('migration files must be consecutive and well named', () => {
  const dir = copyMigrations();
  const expected = String(loadMigrations(dir).length + 1).padStart(4, '0');
  writeFileSync(join(dir, '0099_gap.sql'), 'SELECT 1;');
  assert.throws(() => loadMigrations(dir), new RegExp(`0099_gap\\.sql: expected version ${expected}`));
  const dir2 = copyMigrations();
  writeFileSync(join(dir2, 'add-stuff.sql'), 'SELECT 1;');
  assert.throws(() => loadMigrations(dir2), /add-stuff\.sql: migration file names must look like 0001_name\.sql/);
});
