/**
 * Truth epochs end to end, on both engines, through the CLI while the runtime runs a BTC/USD +
 * ETH/USD book with `governance.truth_epochs: "manual"` over real Kraken hourly candles
 * (2023-01-01..04). No tick runs before the first advance. `warden epoch advance` reaches the
 * running runtime (PGlite: its operator channel; PostgreSQL: the inbox + NOTIFY) and the book
 * ticks up to TE and no further; an advance past the stored data is refused by the gate (exit 1,
 * nothing recorded); an emergency override is recorded with the operator and the justification;
 * after an approved epoch.auto.enable directive, new data advances TE by itself (auto). `warden
 * epoch show` reports TE, mode and CTT per series; `warden replay verify` passes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { processStore } from './support/engines.js';
import { sliceHourly, streamEvents, until } from './support/book-e2e.js';
import { cli, RUNTIME_JS, runtimeVars, start, type Proc } from './runtime-proc.js';

const H = 3_600_000;
const DAY = 24 * H;
const FROM = Date.UTC(2023, 0, 1);
const BOOK = {
  book_id: 'main',
  data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600, source: { kind: 'store' }, lateness_ms: null },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD', 'ETH/USD'], params: { fast: 5, slow: 20 } }],
  sizing: { mode: 'pct_equity', pct: '20' },
  initial_cash: '10000',
  governance: { policy: { version: 'epochs-1' }, truth_epochs: 'manual' },
};
const iso = (ms: number) => new Date(ms).toISOString();

const slice = sliceHourly;
const events = (url: string) => streamEvents(url, 'book:main', 'epochs e2e check');
const caughtUpAt = (rt: Proc, ms: number) => until(`the book at ${iso(ms)}`, rt, () => (rt.lines.some((l) => l.event === 'market_caught_up' && l.last_tick_ms === ms) ? true : null));
const lastTick = (rt: Proc) => rt.lines.filter((l) => l.event === 'market_caught_up').at(-1)?.last_tick_ms ?? null;

async function scenario(engine: 'pglite' | 'postgres'): Promise<void> {
  const store = await processStore(engine, 'epochs');
  const dir = mkdtempSync(join(tmpdir(), 'warden-epochs-e2e-'));
  try {
    writeFileSync(join(dir, 'book.json'), JSON.stringify(BOOK));
    const drop = join(dir, 'drop');
    mkdirSync(drop);
    writeFileSync(join(dir, 'feeds.json'), JSON.stringify({ feeds: [{ name: 'drop', kind: 'file-drop', dir: drop, poll_ms: 200, settle_ms: 100 }] }));
    const vars = runtimeVars(store.url, join(dir, 'snapshots'), { WARDEN_BOOK_CONFIG: join(dir, 'book.json'), WARDEN_FEEDS: join(dir, 'feeds.json') });
    assert.equal((await cli(['init'], vars)).code, 0);
    const ing = await cli(['ingest', slice(join(dir, 'a'), 'XBTUSD_60.csv', FROM, FROM + 2 * DAY), slice(join(dir, 'a'), 'ETHUSD_60.csv', FROM, FROM + 2 * DAY)], vars);
    assert.equal(ing.code, 0, ing.stdout + ing.stderr);
    const rt = start([process.execPath, RUNTIME_JS], vars);
    await rt.waitFor('ready');
    // 1. epochs on, no TE yet: the first tick waits
    await rt.waitFor('tick_waits_for_epoch');
    const shown0 = await cli(['epoch', 'show', '--json'], vars);
    assert.equal(shown0.code, 0, shown0.stderr);
    const v0 = JSON.parse(shown0.stdout) as Record<string, unknown>;
    assert.deepEqual([v0.mode, v0.truth_epoch_ms, v0.status], ['manual', null, 'ACTIVE']);
    assert.deepEqual(v0.ctt, { 'BTC/USD': FROM + 2 * DAY, 'ETH/USD': FROM + 2 * DAY }, 'CTT per series from the market tables');
    // 2. refused: past the stored data (nothing recorded)
    const refused = await cli(['epoch', 'advance', '--as', 'alice', '--to', iso(FROM + 3 * DAY)], vars);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /truth-epoch gate refuses .*data_complete: BTC\/USD missing.*Nothing was recorded/);
    // 3. manual advance reaches the running runtime; the book ticks up to TE and no further
    const a1 = await cli(['epoch', 'advance', '--as', 'alice', '--to', iso(FROM + DAY)], vars);
    assert.equal(a1.code, 0, a1.stdout + a1.stderr);
    assert.match(a1.stdout, /applied at seq [0-9]+: the truth epoch is 2023-01-02T00:00:00Z/);
    await caughtUpAt(rt, FROM + DAY);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(lastTick(rt), FROM + DAY, 'no tick after TE');
    // 4. without --to: the latest bar close with complete data
    const a2 = await cli(['epoch', 'advance', '--as', 'alice', '--json'], vars);
    assert.equal(a2.code, 0, a2.stdout + a2.stderr);
    assert.equal((JSON.parse(a2.stdout) as { to_ms: number }).to_ms, FROM + 2 * DAY);
    await caughtUpAt(rt, FROM + 2 * DAY);
    // 5. emergency override past the data, recorded with the operator and the justification
    const bare = await cli(['epoch', 'advance', '--as', 'bob', '--to', iso(FROM + 2 * DAY + 6 * H), '--override'], vars);
    assert.equal(bare.code, 64, 'an override without a justification is a usage error');
    const ov = await cli(['epoch', 'advance', '--as', 'bob', '--to', iso(FROM + 2 * DAY + 6 * H), '--override', '--justification', 'feed outage, prices checked by hand'], vars);
    assert.equal(ov.code, 0, ov.stdout + ov.stderr);
    assert.match(ov.stdout, /OVERRIDE[\s\S]*FAIL data_complete/);
    // 6. auto mode only after an approved epoch.auto.enable
    const prop = await cli(['directives', 'propose', '--type', 'epoch.auto.enable', '--objective', 'follow the data', '--as', 'bob', '--json'], vars);
    assert.equal(prop.code, 0, prop.stdout + prop.stderr);
    const p = JSON.parse(prop.stdout) as { directive_id: string; status: string };
    assert.equal(p.status, 'proposed', 'epoch.auto.enable needs a named approver');
    const ok = await cli(['directives', 'approve', p.directive_id, '--as', 'carol'], vars);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const shown1 = JSON.parse((await cli(['epoch', 'show', '--json'], vars)).stdout) as Record<string, unknown>;
    assert.deepEqual([shown1.mode, shown1.truth_epoch_ms], ['auto', FROM + 2 * DAY + 6 * H]);
    renameSync(slice(join(dir, 'b'), 'ETHUSD_60.csv', FROM + 2 * DAY, FROM + 3 * DAY), join(drop, 'ETHUSD_60.csv'));
    renameSync(slice(join(dir, 'b'), 'XBTUSD_60.csv', FROM + 2 * DAY, FROM + 3 * DAY), join(drop, 'XBTUSD_60.csv'));
    await caughtUpAt(rt, FROM + 3 * DAY);
    rt.child.kill('SIGTERM');
    assert.equal(await rt.exit, 0, rt.stderr());
    // 7. the log: every advance with its mode, operator, justification and checks
    const ev = await events(store.url);
    const adv = ev.filter((e) => e.type === 'epoch.advanced');
    const manual = adv.filter((e) => e.payload.mode !== 'auto').map((e) => [e.payload.te_ms, e.payload.mode, e.payload.operator, e.payload.justification]);
    assert.deepEqual(manual, [
      [FROM + DAY, 'manual', 'operator:alice', null], [FROM + 2 * DAY, 'manual', 'operator:alice', null],
      [FROM + 2 * DAY + 6 * H, 'override', 'operator:bob', 'feed outage, prices checked by hand'],
    ]);
    const overridden = adv.find((e) => e.payload.mode === 'override')!;
    assert.equal((overridden.payload.checks as { check: string; ok: boolean }[]).find((c) => c.check === 'data_complete')?.ok, false);
    const auto = adv.filter((e) => e.payload.mode === 'auto').map((e) => e.payload.te_ms);
    assert.deepEqual(auto, Array.from({ length: 18 }, (_, i) => FROM + 2 * DAY + (7 + i) * H), 'auto: one advance per tick after the override\'s TE');
    const firstTick = ev.find((e) => e.type === 'bar.closed')!;
    assert.ok(firstTick.seq > adv[0]!.seq, 'no tick before the first advance');
    const v = await cli(['replay', 'verify', '--book', 'main'], vars);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  } finally {
    await store.cleanup();
  }
}

describe('truth epochs through the CLI while the runtime runs', () => {
  test('pglite (operator channel)', { timeout: 300_000 }, () => scenario('pglite'));
  test('postgres (inbox + NOTIFY)', { timeout: 300_000 }, () => scenario('postgres'));
});
