/**
 * Test helper (not a test): governance end to end, one engine per test file
 * (../runtime-approval-pglite.e2e.test.ts, ../runtime-approval-postgres.e2e.test.ts: the runner's
 * two slots run the two engines side by side), through the interfaces a user touches: a runtime
 * runs a book whose policy asks a named human for any entry above 100 of notional, over real
 * hourly BTC/USD candles released by the replay feed inside the runtime. The skill's entry waits
 * (`proposed`) across ticks while the book keeps running; `warden directives approve --as alice`
 * reaches the RUNNING runtime (PGlite: its operator channel; PostgreSQL: the inbox + NOTIFY); the
 * order is placed at the book's market time and fills on the next bar, exactly once; the next entry
 * is rejected and never fills, is retried (`warden directives retry`: blocked -> proposed, judged again
 * by the policy at the next tick) and rejected again; `warden skills list` shows the book's skill. Then the runtime is killed (SIGKILL) right after an approval is
 * recorded, restarted, and the approved order still fills exactly once. `warden replay verify`
 * re-executes the whole book, approvals included, and passes; `replay hour` shows the directive.
 *
 * Pace: until the kill the feed releases 8 bars/s, so that the CLI runs between the steps (1-3 s
 * each on a loaded machine) find the book still inside the window: the three entries need ~200 of
 * its 840 bars on a quiet machine (~25 s), and the window leaves ~105 s. The restart reads the
 * feeds file again and the replay resumes after the stored candles at the fastest pace
 * (REPLAY_BARS_PER_SECOND_MAX): nothing after the kill waits on the wall clock (the approved order
 * fills on the next bar at any pace), and the rest of the window takes seconds instead of ~80 s.
 */
import assert from 'node:assert/strict';
import { until } from './book-e2e.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { processStore } from './engines.js';
import { cli, ROOT, RUNTIME_JS, runtimeVars, start } from '../runtime-proc.js';
import { openDb } from '../../src/store/open.js';
import { EventStore } from '../../src/store/event-store.js';
import { REPLAY_BARS_PER_SECOND_MAX } from '../../src/feeds/replay.js';

const BOOK = {
  book_id: 'main',
  data: { symbols: ['BTC/USD'], timeframe_s: 3600, source: { kind: 'store' } },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 5, slow: 20 } }],
  sizing: { mode: 'pct_equity', pct: '25' },
  initial_cash: '10000',
  governance: { policy: { version: 'e2e-1', approval: { notional_above: '100', timebox_bars: 2000 } } },
};
const FILE = join(ROOT, 'data', 'kraken', 'XBTUSD_60.csv');

type Json = Record<string, unknown>;
interface Listed { directive_id: string; status: string; type: string }


async function list(vars: Record<string, string>, status: string): Promise<Listed[]> {
  const r = await cli(['directives', 'list', '--status', status, '--json'], vars);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { directives: Listed[] } | Listed[];
  return Array.isArray(j) ? j : j.directives;
}

/** The book's events; every policy evaluation's artifact is in the store under its address, with its verdict. */
async function events(url: string): Promise<{ seq: number; type: string; time_ms: number; payload: Json }[]> {
  const db = await openDb(url, { command: 'approval e2e check' });
  try {
    const store = new EventStore(db);
    const out: { seq: number; type: string; time_ms: number; payload: Json }[] = [];
    for await (const batch of store.read('book:main')) for (const e of batch) out.push({ seq: e.seq, type: e.type, time_ms: e.time_ms, payload: e.payload as Json });
    // content-addressed: a retried directive judged again with the same result has the same evaluation body, so the same artifact (first written at the first seq)
    const firstSeq = new Map<string, number>();
    for (const e of out.filter((x) => x.type === 'policy.evaluated')) {
      const hash = String(e.payload.artifact_hash);
      if (!firstSeq.has(hash)) firstSeq.set(hash, e.seq);
      const a = await store.artifact(hash);
      assert.deepEqual([a?.kind, a?.seq, (a?.body as Json | undefined)?.verdict], ['policy_evaluation', firstSeq.get(hash), e.payload.verdict], `artifact of seq ${e.seq}`);
    }
    return out;
  } finally {
    await db.close();
  }
}

const dirOf = (e: { payload: Json }) => e.payload.directive as Json;

async function scenario(engine: 'pglite' | 'postgres'): Promise<void> {
  const store = await processStore(engine, 'approval');
  const dir = mkdtempSync(join(tmpdir(), 'warden-approval-e2e-'));
  try {
    writeFileSync(join(dir, 'book.json'), JSON.stringify(BOOK));
    const feeds = { feeds: [{ name: 'demo', kind: 'replay', files: [{ file: FILE }], bars_per_second: 8, from: '2022-12-01', to: '2023-01-05' }] }; // long enough for the retry below and the third approval to have bars after them
    writeFileSync(join(dir, 'feeds.json'), JSON.stringify(feeds));
    const vars = runtimeVars(store.url, join(dir, 'snapshots'), { WARDEN_BOOK_CONFIG: join(dir, 'book.json'), WARDEN_FEEDS: join(dir, 'feeds.json') });
    assert.equal((await cli(['init'], vars)).code, 0);
    let rt = start([process.execPath, RUNTIME_JS], vars);
    await rt.waitFor('ready');
    // 1. the skill's first entry waits for a human
    const first = await until('a directive waiting for approval', rt, async () => (await list(vars, 'proposed'))[0] ?? null);
    assert.equal(first.type, 'order.open');
    const shown = await cli(['directives', 'show', first.directive_id, '--json'], vars);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /NEEDS_APPROVAL/);
    await new Promise((r) => setTimeout(r, 600)); // ~5 bars at 8 bars/s
    assert.ok((await list(vars, 'proposed')).some((d) => d.directive_id === first.directive_id), 'still waiting while the book runs on');
    // 2. approved through the CLI while the runtime runs
    const ok = await cli(['directives', 'approve', first.directive_id, '--as', 'alice', '--note', 'checked the spread'], vars);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /complete/);
    // 3. the next entry is rejected
    const second = await until('a second directive', rt, async () => (await list(vars, 'proposed')).find((d) => d.directive_id !== first.directive_id) ?? null);
    const no = await cli(['directives', 'reject', second.directive_id, '--as', 'bob', '--reason', 'not now'], vars);
    assert.equal(no.code, 0, no.stdout + no.stderr);
    const twice = await cli(['directives', 'approve', second.directive_id, '--as', 'alice'], vars);
    assert.equal(twice.code, 1, 'approving a blocked directive is refused');
    assert.match(twice.stderr, /blocked/);
    // 3b. retried while the runtime runs: blocked -> proposed, judged again by the policy at the next tick, rejected again
    const notBlocked = await cli(['directives', 'retry', first.directive_id, '--as', 'carol'], vars);
    assert.equal(notBlocked.code, 1, 'only a blocked directive can be retried');
    assert.match(notBlocked.stderr, /only a blocked directive can be retried; nothing was recorded/);
    const again = await cli(['directives', 'retry', second.directive_id, '--as', 'carol', '--note', 'spread is fine now'], vars);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /proposed/);
    await until('the retried directive judged again', rt, async () => {
      const r = await cli(['directives', 'show', second.directive_id, '--json'], vars);
      const j = JSON.parse(r.stdout) as { evaluations: unknown[]; status: string };
      return j.evaluations.length === 2 && j.status === 'proposed' ? true : null;
    });
    const no2 = await cli(['directives', 'reject', second.directive_id, '--as', 'bob', '--reason', 'still not now'], vars);
    assert.equal(no2.code, 0, no2.stdout + no2.stderr);
    // the skill registry over the same port: the book's skill is ACTIVE (configured), with its declaration
    const skills = await cli(['skills', 'list', '--book', 'main', '--json'], vars);
    assert.equal(skills.code, 0, skills.stderr);
    const sk = (JSON.parse(skills.stdout) as { skills: { key: string; book: { state: string } | null; permissions: string[] }[] }).skills;
    assert.deepEqual(sk.filter((x) => x.book !== null).map((x) => [x.key, x.book!.state, x.permissions.join(',')]), [['sma-cross@1', 'ACTIVE', 'order.close,order.open']]);
    // 4. a third entry is approved, and the runtime is killed right after the approval is recorded
    const third = await until('a third directive', rt, async () => (await list(vars, 'proposed')).find((d) => ![first.directive_id, second.directive_id].includes(d.directive_id)) ?? null);
    const pending = cli(['directives', 'approve', third.directive_id, '--as', 'alice', '--wait-ms', '0'], vars);
    const recorded = await pending;
    assert.equal(recorded.code, 0, recorded.stdout + recorded.stderr);
    rt.child.kill('SIGKILL');
    await rt.exit;
    // the interactive part is over: the rest of the window as fast as the runtime takes it (the replay resumes after the stored candles)
    writeFileSync(join(dir, 'feeds.json'), JSON.stringify({ feeds: [{ ...feeds.feeds[0], bars_per_second: REPLAY_BARS_PER_SECOND_MAX }] }));
    // PostgreSQL: the dead runtime's lease is held until its ttl (3 s here) runs out: a start meanwhile exits 75
    for (let attempt = 0; ; attempt++) {
      rt = start([process.execPath, RUNTIME_JS], vars);
      const ready = await rt.waitFor('ready').then(() => 'ready' as const, async () => rt.exit);
      if (ready === 'ready') break;
      assert.equal(ready, 75, `the restart exited ${String(ready)}: ${rt.stderr()}`);
      assert.ok(engine === 'postgres' && attempt < 20, 'a restart after kill -9 is refused only while the dead lease lives (PostgreSQL)');
      await new Promise((r) => setTimeout(r, 500));
    }
    await until('the feed to finish and the book to catch up', rt, async () => (rt.lines.some((l) => l.event === 'market_caught_up' && l.last_tick === '2023-01-05T00:00:00.000Z') ? true : null));
    rt.child.kill('SIGTERM');
    assert.equal(await rt.exit, 0, rt.stderr());
    // 5. what the log says
    const ev = await events(store.url);
    const proposed = ev.filter((e) => e.type === 'directive.proposed').map((e) => dirOf(e));
    const intentOf = (id: string) => (proposed.find((d) => d.directive_id === id)!.payload as Json).intent_id;
    const placed = ev.filter((e) => e.type === 'order.placed');
    const fills = ev.filter((e) => e.type === 'fill.executed');
    for (const id of [first.directive_id, third.directive_id]) {
      const orders = placed.filter((e) => e.payload.intent_id === intentOf(id));
      assert.equal(orders.length, 1, `${id}: exactly one order`);
      const f = fills.filter((e) => e.payload.order_id === orders[0]!.payload.order_id);
      assert.ok(f.length >= 1, `${id}: filled`);
      assert.equal(f[0]!.payload.bar_open_time_ms, orders[0]!.time_ms, `${id}: filled on the bar after the one it was decided at`);
    }
    assert.equal(placed.filter((e) => e.payload.intent_id === intentOf(second.directive_id)).length, 0, 'rejected: never placed');
    const approvals = ev.filter((e) => e.type === 'directive.status_changed' && e.payload.to === 'approved');
    assert.deepEqual(approvals.map((e) => [e.payload.directive_id, e.payload.by, e.payload.human_override]).filter((x) => x[1] !== 'policy'),
      [[first.directive_id, 'operator:alice', true], [third.directive_id, 'operator:alice', true]]);
    const rejected = ev.find((e) => e.type === 'directive.status_changed' && e.payload.directive_id === second.directive_id && e.payload.to === 'blocked');
    assert.deepEqual([rejected?.payload.by, rejected?.payload.reason], ['operator:bob', 'rejected: not now']);
    const second_ = ev.filter((e) => e.type === 'directive.status_changed' && e.payload.directive_id === second.directive_id).map((e) => [e.payload.from, e.payload.to, e.payload.by]);
    assert.deepEqual(second_, [['proposed', 'blocked', 'operator:bob'], ['blocked', 'proposed', 'operator:carol'], ['proposed', 'blocked', 'operator:bob']], 'rejected, retried, judged again, rejected again');
    // 6. replay re-executes it all, approvals as inputs
    const v = await cli(['replay', 'verify', '--book', 'main'], vars);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const approvedAt = approvals.find((e) => e.payload.directive_id === first.directive_id)!;
    const proposedAt = ev.find((e) => e.type === 'directive.proposed' && dirOf(e).directive_id === first.directive_id)!;
    const hour = await cli(['replay', 'hour', new Date(proposedAt.time_ms).toISOString()], vars);
    assert.equal(hour.code, 0, hour.stdout + hour.stderr);
    assert.match(hour.stdout, new RegExp(`${first.directive_id}  order\\.open by skill:sma-cross@1 -> policy e2e-1: NEEDS_APPROVAL`));
    assert.ok(approvedAt.seq > proposedAt.seq);
  } finally {
    await store.cleanup();
  }
}

/** The scenario on one engine, as one test (one engine per file: ../runtime-approval-pglite.e2e.test.ts, ../runtime-approval-postgres.e2e.test.ts). */
export function runtimeApproval(engine: 'pglite' | 'postgres'): void {
  describe('approval through the CLI while the runtime runs', () => {
    test(engine === 'pglite' ? 'pglite (operator channel)' : 'postgres (inbox + NOTIFY)', { timeout: 300_000 }, () => scenario(engine));
  });
}
