/**
 * The CLI as users touch it: strict config exit codes, init/migrate on both engines, and the
 * embedded store's one-process rule (a second process names the holder's pid).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanEnv, runCli, runCliAsync } from './support/cli.js';
import { seedPgliteDir } from './support/pglite-template.js';
import { requirePostgres, tempPgDatabase, TEST_PG_URL, uniqueName } from './support/engines.js';

const tmp = mkdtempSync(join(tmpdir(), 'warden-cli-'));
const PG_DB_PREFIX = 'warden_cli';


let pgDb: { url: string; drop: () => Promise<void> };
before(async () => {
  await requirePostgres();
  pgDb = await tempPgDatabase(TEST_PG_URL, uniqueName(PG_DB_PREFIX));
});
after(() => pgDb.drop());

test('--help and --version work without any configuration', () => {
  const help = runCli(['--help'], cleanEnv());
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: warden/);
  assert.match(help.stdout, /migrate/);
  const v = runCli(['--version'], cleanEnv());
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
});

test('a mistyped WARDEN_DATABSE_URL exits 78 and suggests WARDEN_DATABASE_URL', () => {
  const r = runCli(['migrate'], cleanEnv({ WARDEN_DATABSE_URL: `pglite:${tmp}/x`, WARDEN_LOG_LEVEL: 'info' }));
  assert.equal(r.code, 78);
  assert.match(r.stderr, /WARDEN_DATABSE_URL is not a Warden variable \(did you mean WARDEN_DATABASE_URL\?\)/);
  assert.match(r.stderr, /WARDEN_DATABASE_URL is required/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('an unknown command is a usage error (64)', () => {
  const r = runCli(['frobnicate'], cleanEnv());
  assert.equal(r.code, 64);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});

for (const engine of ['pglite', 'postgres'] as const) {
  test(`init migrates and reports the store; migrate status then says applied [${engine}]`, () => {
    const url = engine === 'pglite' ? `pglite:${join(tmp, 'init.pglite')}` : pgDb.url;
    const env = cleanEnv({ WARDEN_DATABASE_URL: url, WARDEN_LOG_LEVEL: 'warn' });
    if (engine === 'pglite') {
      // A status command creates nothing: no store at the path is exit 69 naming it, and no directory appears.
      const none = runCli(['migrate', 'status', '--json'], env);
      assert.equal(none.code, 69, none.stderr);
      assert.match(none.stderr, /init\.pglite \(WARDEN_DATABASE_URL\): there is no store there; nothing was created/);
      assert.equal(existsSync(join(tmp, 'init.pglite')), false);
      assert.equal(existsSync(join(tmp, 'init.pglite.lock')), false);
    } else {
      const before = runCli(['migrate', 'status', '--json'], env);
      assert.equal(before.code, 65, before.stderr);
      assert.ok((JSON.parse(before.stdout) as { migrations: { state: string }[] }).migrations.every((m) => m.state === 'pending'));
    }
    const init = runCli(['init', '--json'], env);
    assert.equal(init.code, 0, init.stderr);
    const out = JSON.parse(init.stdout) as { engine: string; schema_version: number; migrations_applied_now: number[] };
    assert.equal(out.engine, engine);
    assert.ok(out.schema_version >= 1);
    assert.equal(out.migrations_applied_now.length, out.schema_version);
    const st = runCli(['migrate', 'status'], env);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /0001_event_store\s+applied/);
    const again = runCli(['migrate'], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /schema is up to date/);
  });
}

test('PostgreSQL unreachable: exit 69 with the (password-free) URL named', () => {
  const r = runCli(['migrate'], cleanEnv({ WARDEN_DATABASE_URL: 'postgres://warden:secret@127.0.0.1:1/none', WARDEN_LOG_LEVEL: 'info' }));
  assert.equal(r.code, 69);
  assert.match(r.stderr, /cannot connect to PostgreSQL at postgres:\/\/warden:\*\*\*@127\.0\.0\.1:1\/none/);
  assert.doesNotMatch(r.stderr, /secret/);
});

test('two processes on one PGlite directory: the second exits 75 naming the holder pid; the lock goes with the holder', async () => {
  const dir = join(tmp, 'locked.pglite');
  await seedPgliteDir(dir); // a new store without initdb's cost (./support/pglite-template.ts): the subject is the lock
  const env = cleanEnv({ WARDEN_DATABASE_URL: `pglite:${dir}`, WARDEN_LOG_LEVEL: 'info' });
  assert.equal(runCli(['migrate'], env).code, 0);
  // The holder: a process that opens the store and keeps it until SIGTERM.
  const holder = spawn(process.execPath, ['--input-type=module', '-e', `
    const { openDb } = await import(${JSON.stringify(join(process.cwd(), 'dist/src/store/open.js'))});
    const db = await openDb(${JSON.stringify(`pglite:${dir}`)}, { command: 'test holder' });
    process.stdout.write('open\\n');
    process.on('SIGTERM', async () => { await db.close(); process.exit(0); });
    setInterval(() => {}, 1000);`], { env });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
    holder.on('exit', (c) => reject(new Error(`holder exited early (${c})`)));
  });
  try {
    const second = await runCliAsync(['migrate', 'status'], env);
    assert.equal(second.code, 75);
    assert.match(second.stderr, new RegExp(`in use by another process: pid ${holder.pid} \\(test holder\\)`));
    assert.ok(existsSync(`${dir}.lock`));
  } finally {
    holder.kill('SIGTERM');
    await new Promise((r) => holder.on('exit', r));
  }
  assert.ok(!existsSync(`${dir}.lock`), 'a clean close removes the lock file');
  assert.equal((await runCliAsync(['migrate', 'status'], env)).code, 0);
});

test('a lock left by a killed process (kill -9) is taken over', async () => {
  const dir = join(tmp, 'crashed.pglite');
  await seedPgliteDir(dir); // a new store without initdb's cost (./support/pglite-template.ts): the subject is the lock
  const env = cleanEnv({ WARDEN_DATABASE_URL: `pglite:${dir}`, WARDEN_LOG_LEVEL: 'info' });
  assert.equal(runCli(['migrate'], env).code, 0);
  const holder = spawn(process.execPath, ['--input-type=module', '-e', `
    const { openDb } = await import(${JSON.stringify(join(process.cwd(), 'dist/src/store/open.js'))});
    await openDb(${JSON.stringify(`pglite:${dir}`)}, { command: 'doomed' });
    process.stdout.write('open\\n'); setInterval(() => {}, 1000);`], { env });
  await new Promise<void>((resolve) => holder.stdout.on('data', (d: Buffer) => d.toString().includes('open') && resolve()));
  holder.kill('SIGKILL');
  await new Promise((r) => holder.on('exit', r));
  assert.ok(existsSync(`${dir}.lock`), 'the dead holder left its lock');
  const r = await runCliAsync(['init', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
});
