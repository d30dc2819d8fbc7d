/** `warden replay verify` as an operator runs it: exit 0 with the chain head; after a tamper, 65 naming the seq. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bookKernel, encodeEvent } from '../src/core/book/index.js';
import { EventStore } from '../src/store/event-store.js';
import { migrate } from '../src/store/migrations.js';
import { openDb } from '../src/store/open.js';
import { cleanEnv, runCliAsync } from './support/cli.js';

test('replay verify: identical store exits 0 with head and state hash; a tampered event exits 65 naming its seq', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'warden-replay-')), 'store.pglite');
  const url = `pglite:${dir}`;
  const db = await openDb(url, { command: 'replay test setup' });
  try {
    await migrate(db);
    const store = new EventStore(db);
    const lease = await store.acquireLease('book:main', 'setup', 60_000);
    const { decider } = bookKernel(null);
    const state = decider.initialState();
    const events = decider.step({ kind: 'runtime.start', time_ms: 1_672_531_200_000, book_id: 'main', execution_plane: 'PAPER', owner: 'setup', lease_epoch: lease.epoch }, state).map(encodeEvent);
    await store.append(lease, 0, events);
    const stop = decider.step({ kind: 'runtime.stop', time_ms: 1_672_531_260_000, reason: 'test' }, state).map(encodeEvent);
    await store.append(lease, events.length, stop);
    await store.releaseLease(lease);
  } finally {
    await db.close();
  }
  const env = cleanEnv({ WARDEN_DATABASE_URL: url, WARDEN_LOG_LEVEL: 'warn' });
  const ok = await runCliAsync(['replay', 'verify', '--json'], env);
  assert.equal(ok.code, 0, ok.stderr);
  const out = JSON.parse(ok.stdout) as { identical: boolean; streams: { stream: string; events: number; chain_head: string; state_hash: string }[] };
  assert.equal(out.identical, true);
  assert.equal(out.streams[0]!.stream, 'book:main');
  assert.equal(out.streams[0]!.events, 5);
  assert.match(out.streams[0]!.chain_head, /^[0-9a-f]{64}$/);
  assert.match(out.streams[0]!.state_hash, /^[0-9a-f]{64}$/);

  const db2 = await openDb(url, { command: 'replay test tamper' });
  try {
    await db2.exec('ALTER TABLE events DISABLE TRIGGER USER');
    await db2.query(`UPDATE events SET body = convert_to(replace(convert_from(body, 'UTF8'), '"test"', '"tset"'), 'UTF8') WHERE seq = 5`);
    await db2.exec('ALTER TABLE events ENABLE TRIGGER USER');
  } finally {
    await db2.close();
  }
  const bad = await runCliAsync(['replay', 'verify'], env);
  assert.equal(bad.code, 65);
  assert.match(bad.stderr, /book:main seq 5: stored hash [0-9a-f]+ != recomputed/);
});
