/**
 * Losing the writer lease while running (another writer took the stream: its epoch moved) makes
 * the runtime stop writing and exit 75 with a `lease_lost` line; a kill -9 leaves the book to be
 * recovered by the next start (`previous_run_crashed`, `after_crash`). PostgreSQL only: with
 * PGlite no other process can reach the store while the runtime holds it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePostgres, TEST_PG_URL, uniqueName } from './support/engines.js';
import { cli, runtime, runtimeVars, tempPgDatabase } from './runtime-proc.js';

describe('paper runtime: lease lost and crash recovery [postgres]', () => {
  let dir = '';
  let db: { url: string; drop: () => Promise<void> } | undefined;
  let vars: Record<string, string> = {};

  before(async () => {
    await requirePostgres();
    dir = mkdtempSync(join(tmpdir(), 'warden-lease-'));
    const admin = new URL(TEST_PG_URL);
    admin.pathname = '/postgres';
    db = await tempPgDatabase(admin.toString(), uniqueName('warden_rt_lease'));
    vars = runtimeVars(db.url, join(dir, 'snapshots'), { WARDEN_SNAPSHOT_EVERY_EVENTS: '2' });
    assert.equal((await cli(['migrate'], vars)).code, 0);
  });
  after(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a stolen lease: lease_lost, no further writes, exit 75', async () => {
    const p = runtime(vars);
    const ready = await p.waitFor('ready');
    assert.ok(p.lines.some((l) => l.event === 'snapshot_written' && l.kind === 'periodic'), 'periodic snapshot after 2 events');
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: db!.url });
    await c.connect();
    await c.query(`UPDATE warden.streams SET lease_owner = 'thief:1', lease_epoch = lease_epoch + 1, lease_expires_at = now() + interval '1 minute' WHERE stream = 'book:main'`);
    assert.equal(await p.exit, 75);
    const lost = p.lines.find((l) => l.event === 'lease_lost')!;
    assert.match(String(lost.reason), /held by thief:1/);
    assert.equal(lost.exit_code, 75);
    assert.ok(!p.lines.some((l) => l.event === 'shutdown_complete'));
    const [head] = (await c.query(`SELECT head_seq FROM warden.streams WHERE stream = 'book:main'`)).rows as Array<{ head_seq: string }>;
    assert.equal(Number(head!.head_seq), Number(ready.seq), 'nothing written after the lease was lost');
    await c.query(`UPDATE warden.streams SET lease_owner = NULL, lease_expires_at = NULL WHERE stream = 'book:main'`);
    await c.end();
  });

  test('after kill -9 the next start (once the lease expired) recovers: previous_run_crashed, after_crash', async () => {
    const p = runtime(vars);
    await p.waitFor('ready');
    p.child.kill('SIGKILL');
    await p.exit;
    await new Promise((r) => setTimeout(r, 3500)); // WARDEN_LEASE_TTL_MS=3000
    const q = runtime(vars);
    const restored = await q.waitFor('state_restored');
    assert.equal(restored.previous_run_crashed, true);
    await q.waitFor('ready');
    const started = q.lines.find((l) => l.event === 'step_committed' && l.command === 'runtime.start')!;
    assert.deepEqual(started.types, ['step.started', 'runtime.started']);
    q.child.kill('SIGTERM');
    assert.equal(await q.exit, 0);
  });
});
