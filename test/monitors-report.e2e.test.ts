/**
 * Monitors and the daily report through the CLI, on both engines, over real data: Q1-2023 BTC/USD
 * hourly candles in the store, a runtime-style book (book:mr, sma-cross, 300 hourly ticks) written
 * by the book driver, and the last 100 ETH/USD hours with one hour removed (a gap).
 *   monitors run: stale data (critical: 2023 data by today's clock), the ETH gap, tick lag of the
 *     book, drawdown near a tier (margin chosen from the book's own latest mark) are raised once,
 *     with a `suggestion` log line each; a repeat writes nothing (and 100 in-process passes too);
 *     backfilling the ETH hour clears the gap, judging as of just after the CTT clears staleness, a
 *     smaller drawdown margin clears the drawdown suggestion;
 *   report daily: for a day with fills, every figure equals what the book's events say (computed
 *     here from the events, independently of src/report), and today's report lists the suggestions
 *     and the gate's rejection of a bad BTC file; bad input exits 64 / 1.
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { bookKernel, resolveBook } from '../src/core/book/index.js';
import type { NewEvent } from '../src/core/events/index.js';
import { Decimal } from '../src/core/money/index.js';
import { ingestFile } from '../src/ingest/ingest.js';
import { EventStore } from '../src/store/event-store.js';
import { migrate } from '../src/store/migrations.js';
import { openDb } from '../src/store/open.js';
import { runMonitors } from '../src/monitors/run.js';
import { ObserveCache } from '../src/monitors/observe.js';
import { SuggestionLedger } from '../src/monitors/suggestions.js';
import { DEFAULT_THRESHOLDS } from '../src/monitors/thresholds.js';
import { createLogger } from '../src/telemetry/logger.js';
import { BTC_2023Q1_HOURLY, ETH_HOURLY, loadKrakenCsv } from './support/candles-csv.js';
import { cleanEnv, runCliAsync } from './support/cli.js';
import { processStore } from './support/engines.js';
import { runtimeStart, smaBookConfig, tickCommands, writeBook } from './support/book-driver.js';

const CONFIG = smaBookConfig('mr');
const book = resolveBook(CONFIG);
const kernel = bookKernel(book);
const ticks = tickCommands(book, loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600).slice(0, 300));
const DAY = 86_400_000;
const TIER_AT: Record<string, string> = { normal: '10', reduced: '20', reducing_only: '30' }; // default@1: the next tier's threshold
const NEXT: Record<string, string> = { normal: 'reduced', reduced: 'reducing_only', reducing_only: 'halted' };

interface Pass { raised: { key: string; severity: string; book: string | null }[]; cleared: { key: string }[]; head_seq: number; failures: unknown[] }
type P = Record<string, unknown>;
const pay = (e: NewEvent) => e.payload as P;
const sum = (xs: string[]) => xs.reduce((a, x) => a.add(Decimal.parse(x)), Decimal.ZERO).toString();

for (const engine of ['pglite', 'postgres'] as const) {
  describe(`monitors and daily report [${engine}]`, () => {
    let cleanup: (() => Promise<void>) | undefined;
    after(async () => cleanup?.());

    test('monitors raise once, clear when the condition goes, write nothing on repeats; report daily equals the events', async () => {
      const store = await processStore(engine, 'warden-monitors');
      cleanup = store.cleanup;
      const { dir, url } = store;
      const env = cleanEnv({ WARDEN_DATABASE_URL: url, WARDEN_LOG_LEVEL: 'info' });
      const cli = (...args: string[]) => runCliAsync(args, env);
      const json = async <T>(...args: string[]): Promise<T> => {
        const r = await cli(...args, '--json');
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        return JSON.parse(r.stdout) as T;
      };

      // Real data: BTC Q1 2023; the last 100 ETH hours without one (the gap), the missing hour kept aside.
      const ethRows = readFileSync(ETH_HOURLY, 'utf8').trimEnd().split('\n').slice(-100);
      const ethGap = join(dir, 'gap', 'ETHUSD_60.csv');
      const ethFill = join(dir, 'fill', 'ETHUSD_60.csv');
      mkdirSync(join(dir, 'gap'));
      mkdirSync(join(dir, 'fill'));
      writeFileSync(ethGap, [...ethRows.slice(0, 89), ...ethRows.slice(90)].join('\n') + '\n');
      writeFileSync(ethFill, ethRows[89]! + '\n');
      const missingOpen = Number(ethRows[89]!.split(',')[0]) * 1000;
      let db = await openDb(url, { command: 'monitors test' });
      let written;
      try {
        await migrate(db);
        assert.equal((await ingestFile(db, BTC_2023Q1_HOURLY)).status, 'accepted');
        assert.equal((await ingestFile(db, ethGap)).status, 'accepted');
        written = await writeBook(new EventStore(db), 'book:mr', kernel, [runtimeStart('mr', Date.UTC(2026, 0, 1), 1), ...ticks]);
      } finally {
        await db.close();
      }
      const events = written.events;
      const marks = events.map((e, i) => ({ e, seq: i + 1 })).filter((x) => x.e.type === 'mark.recorded');
      const last = pay(marks[marks.length - 1]!.e);
      const tier = String(last.tier);
      const distance = Decimal.parse(TIER_AT[tier]!).sub(Decimal.parse(String(last.drawdown_pct)));
      const ddKey = `drawdown_near_tier:mr:${NEXT[tier]}`;
      const btcStale = 'stale_data:BTC/USD 3600:critical';
      const ethStale = 'stale_data:ETH/USD 3600:critical';
      const gapKey = `gap:ETH/USD 3600:${missingOpen}`;

      // 1. First pass, default thresholds (drawdown margin: 2 points).
      const r1 = await cli('monitors', 'run', '--json');
      assert.equal(r1.code, 0, r1.stderr);
      const p1 = JSON.parse(r1.stdout) as Pass;
      const expected1 = [btcStale, ethStale, gapKey, 'tick_lag:mr', ...(distance.lte(Decimal.parse('2')) ? [ddKey] : [])].sort();
      assert.deepEqual(p1.raised.map((s) => s.key).sort(), expected1);
      assert.deepEqual(p1.cleared, []);
      const lines = r1.stderr.trim().split('\n').map((l) => JSON.parse(l) as P).filter((l) => l.msg === 'suggestion');
      assert.deepEqual(lines.map((l) => l.key).sort(), expected1, 'one suggestion log line per raised finding');
      for (const l of lines) for (const f of ['monitor', 'book', 'series', 'severity', 'key', 'message']) assert.ok(f in l, `${f} in the log line`);

      // 2. Idempotent: the same pass again writes nothing.
      const p2 = await json<Pass>('monitors', 'run');
      assert.deepEqual([p2.raised, p2.cleared, p2.head_seq], [[], [], p1.head_seq]);

      // 3. Drawdown near its next tier: a margin just above the book's distance raises it once; a smaller one clears it.
      const wide = distance.add(Decimal.parse('0.5')).toString();
      const p3 = await json<Pass>('monitors', 'run', '--drawdown-near', wide);
      if (distance.gt(Decimal.parse('2'))) assert.deepEqual(p3.raised.map((s) => [s.key, s.book]), [[ddKey, 'mr']]);
      else assert.deepEqual(p3.raised, []);
      const narrow = distance.gt(Decimal.parse('0.02')) ? distance.sub(Decimal.parse('0.01')).toString() : '0.001';
      assert.ok(Decimal.parse(narrow).lt(distance), 'the narrow margin is below the distance');
      const p5 = await json<Pass>('monitors', 'run', '--drawdown-near', narrow);
      assert.deepEqual([p5.raised, p5.cleared.map((c) => c.key)], [[], [ddKey]]);

      // 4. The gap clears when its hour is backfilled through the gate.
      db = await openDb(url, { command: 'monitors test' });
      try {
        assert.equal((await ingestFile(db, ethFill)).status, 'accepted');
      } finally {
        await db.close();
      }
      const p6 = await json<Pass>('monitors', 'run', '--drawdown-near', narrow);
      assert.deepEqual([p6.raised, p6.cleared.map((c) => c.key)], [[], [gapKey]]);

      // 5. Staleness judged as of one hour after the CTT (2023-04-01T00:00Z): both series clear.
      const p7 = await json<Pass>('monitors', 'run', '--drawdown-near', narrow, '--at', '2023-04-01T01:00:00Z');
      assert.deepEqual([p7.raised, p7.cleared.map((c) => c.key).sort()], [[], [btcStale, ethStale].sort()]);

      // 6. 100 passes in-process record what one does: nothing more.
      db = await openDb(url, { command: 'monitors test' });
      try {
        const es = new EventStore(db);
        const before = (await es.head('audit:suggestions'))!.seq;
        const log = createLogger('error', 2);
        // As the runtime holds them: one ledger and one cache across passes.
        const opts = {
          thresholds: { ...DEFAULT_THRESHOLDS, drawdown_near_pct: Decimal.parse(narrow) }, now_ms: Date.UTC(2023, 3, 1, 1), owner: 'test', log,
          ledger: new SuggestionLedger(), cache: new ObserveCache(),
        };
        for (let i = 0; i < 100; i++) {
          const r = await runMonitors(db, es, opts);
          assert.equal(r.raised.length + r.cleared.length, 0, `pass ${i + 1}`);
        }
        assert.equal((await es.head('audit:suggestions'))!.seq, before);
        assert.equal((await es.verify('audit:suggestions')).head_seq, before, 'the audit stream chain-verifies');
      } finally {
        await db.close();
      }
      const list = await json<{ suggestions: { key: string; cleared: unknown }[]; open_count: number }>('monitors', 'list');
      assert.deepEqual(list.suggestions.filter((s) => s.cleared === null).map((s) => s.key), ['tick_lag:mr']);
      assert.equal(list.open_count, 1);

      // 7. report daily for the day of the first sell: every figure from the events, computed here.
      const firstSell = events.find((e) => e.type === 'fill.executed' && pay(e).side === 'sell');
      assert.ok(firstSell, 'the book sold at least once');
      const from = Math.floor(firstSell.time_ms / DAY) * DAY;
      const date = new Date(from).toISOString().slice(0, 10);
      const inDay = events.map((e, i) => ({ e, seq: i + 1 })).filter((x) => x.e.time_ms >= from && x.e.time_ms < from + DAY);
      const of = (t: string) => inDay.filter((x) => x.e.type === t);
      const sod = marks.filter((m) => m.e.time_ms < from).pop();
      const eod = marks.filter((m) => m.e.time_ms >= from && m.e.time_ms < from + DAY).pop()!;
      type Report = {
        date: string; events: { count: number; first_seq: number; last_seq: number };
        start_of_day: { mark_seq: number | null; equity: string; cash: string; unrealized_pnl: string }; end_of_day: { mark_seq: number; equity: string; cash: string; unrealized_pnl: string };
        pnl: { realized: string; fees: string; unrealized_change: string; equity_change: string };
        fills: { count: number; listed: { fill_id: string; seq: number }[] };
        directives: { listed: { directive_id: string; verdict: string | null; status_now: string | null; changes: unknown[] }[] };
        data_health: { series: string; candles: number; expected: number; missing: number; rejections: unknown[] }[];
        suggestions: { count: number; listed: { key: string }[] };
      };
      const rep = await json<Report>('report', 'daily', '--book', 'mr', '--date', date);
      assert.equal(rep.date, date);
      assert.deepEqual(rep.events, { count: inDay.length, first_seq: inDay[0]!.seq, last_seq: inDay[inDay.length - 1]!.seq });
      assert.deepEqual(rep.fills.listed.map((f) => [f.fill_id, f.seq]), of('fill.executed').map((x) => [pay(x.e).fill_id, x.seq]));
      assert.equal(rep.fills.count, of('fill.executed').length);
      assert.equal(rep.pnl.fees, sum(of('fill.executed').map((x) => String(pay(x.e).fee))));
      assert.equal(rep.pnl.realized, sum(of('lot.consumed').map((x) => String(pay(x.e).realized_pnl))));
      assert.equal(rep.start_of_day.mark_seq, sod?.seq ?? null);
      assert.equal(rep.start_of_day.equity, sod ? String(pay(sod.e).equity) : '10000');
      assert.equal(rep.end_of_day.mark_seq, eod.seq);
      assert.equal(rep.end_of_day.equity, String(pay(eod.e).equity));
      assert.equal(rep.end_of_day.cash, String(pay(eod.e).cash));
      assert.equal(rep.pnl.equity_change, Decimal.parse(String(pay(eod.e).equity)).sub(Decimal.parse(rep.start_of_day.equity)).toString());
      // Unrealized at a mark, by the accounting identity (no deposits): equity - initial cash - realized so far.
      const unrealizedAt = (seq: number, equity: string) =>
        Decimal.parse(equity).sub(Decimal.parse('10000')).sub(Decimal.parse(sum(events.slice(0, seq).filter((e) => e.type === 'lot.consumed').map((e) => String(pay(e).realized_pnl))))).toString();
      assert.equal(rep.end_of_day.unrealized_pnl, unrealizedAt(eod.seq, String(pay(eod.e).equity)));
      if (sod) assert.equal(rep.start_of_day.unrealized_pnl, unrealizedAt(sod.seq, String(pay(sod.e).equity)));
      assert.equal(Decimal.parse(rep.pnl.realized).add(Decimal.parse(rep.pnl.unrealized_change)).toString(), Decimal.parse(rep.pnl.equity_change).toString());
      // Directives of the day: proposed or changed that day; verdict and status now from the whole log.
      const dayIds = [...new Set([
        ...of('directive.proposed').map((x) => String((pay(x.e).directive as P).directive_id)),
        ...of('directive.status_changed').map((x) => String(pay(x.e).directive_id)),
        ...of('policy.evaluated').map((x) => String(pay(x.e).directive_id)),
      ])];
      assert.deepEqual(rep.directives.listed.map((d) => d.directive_id).sort(), [...dayIds].sort());
      for (const d of rep.directives.listed) {
        const changes = events.filter((e) => e.type === 'directive.status_changed' && pay(e).directive_id === d.directive_id);
        assert.equal(d.status_now, changes.length === 0 ? 'proposed' : String(pay(changes[changes.length - 1]!).to), d.directive_id);
        const evals = events.filter((e) => e.type === 'policy.evaluated' && pay(e).directive_id === d.directive_id);
        assert.equal(d.verdict, evals.length === 0 ? null : String(pay(evals[evals.length - 1]!).verdict), d.directive_id);
      }
      assert.deepEqual(rep.data_health.map((h) => [h.series, h.candles, h.expected, h.missing, h.rejections.length]), [['BTC/USD 3600', 24, 24, 0, 0]]);
      assert.equal(rep.suggestions.count, 0, 'the suggestions were raised today, not in 2023');
      const text = await cli('report', 'daily', '--book', 'mr', '--date', date);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`End of day \\(mark seq ${eod.seq} `));
      assert.match(text.stdout, new RegExp(`equity ${Decimal.parse(String(pay(eod.e).equity)).round(2, 'half_even').toFixed(2)} `), 'money at cents');

      // 8. Today's report: the suggestions about the book and its series, and a rejected BTC batch.
      const bad = readFileSync(BTC_2023Q1_HOURLY, 'utf8').trimEnd().split('\n').slice(0, 3);
      const f = bad[1]!.split(',');
      f[3] = String(Number(f[2]) + 1000); // low above high
      bad[1] = f.join(',');
      const badFile = join(dir, 'XBTUSD_60.csv');
      writeFileSync(badFile, bad.join('\n') + '\n');
      assert.equal((await cli('ingest', badFile)).code, 65);
      const today = new Date().toISOString().slice(0, 10);
      const now = await json<Report>('report', 'daily', '--book', 'mr', '--date', today);
      const relevant = list.suggestions.filter((s) => !s.key.includes('ETH/USD')).map((s) => s.key);
      assert.deepEqual(now.suggestions.listed.map((s) => s.key), relevant, 'BTC staleness, tick lag and drawdown: not ETH');
      assert.equal(now.suggestions.count, relevant.length);
      assert.equal(now.fills.count, 0);
      assert.equal(now.data_health[0]!.rejections.length, 1);

      // 9. Bad input: named, with the README's exit codes, nothing written.
      const badDate = await cli('report', 'daily', '--book', 'mr', '--date', '2023-02-30');
      assert.deepEqual([badDate.code, badDate.stdout], [64, '']);
      assert.match(badDate.stderr, /--date "2023-02-30": expected a UTC day YYYY-MM-DD that exists/);
      const noBook = await cli('report', 'daily', '--book', 'nope');
      assert.equal(noBook.code, 1);
      assert.match(noBook.stderr, /no stream book:nope/);
      assert.equal((await cli('report', 'daily', '--book', 'Bad!')).code, 64);
      const badNear = await cli('monitors', 'run', '--drawdown-near', 'lots');
      assert.equal(badNear.code, 64);
      assert.match(badNear.stderr, /--drawdown-near "lots"/);
      assert.equal((await cli('monitors', 'run', '--book', 'ghost')).code, 64);
      assert.equal((await cli('monitors', 'run', '--stale-after', '0')).code, 64);
      const tail = await json<Pass>('monitors', 'run', '--drawdown-near', narrow, '--at', '2023-04-01T01:00:00Z');
      assert.equal(tail.head_seq, p7.head_seq, 'the refused commands wrote nothing');
    });
  });
}
