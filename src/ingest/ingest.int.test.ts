/**
 * The ingestion gate end to end on both engines, with Kraken's real files: a clean file is
 * accepted once and is a no-op the second time; a copy with one bad row is rejected whole,
 * writes only its rejection record and names the line and the rule; REST payloads hold back
 * their open candle; trades aggregate to exactly the REST candles already stored.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { EXTERNAL_DATA_DIR } from '../../test/support/market-data.js';
import { CandleStore } from '../store/candle-store.js';
import type { Db } from '../store/db.js';
import { BatchRejectedError } from './errors.js';
import { ingestFile } from './ingest.js';

const Q1 = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSD_60.csv');
const PAYLOADS = join(EXTERNAL_DATA_DIR, 'kraken-payloads');
const HOUR_MS = 3_600_000;
const JAN1_MS = 1_672_531_200_000;
const MAR31_END_MS = 1_680_307_200_000;

const tmp = mkdtempSync(join(tmpdir(), 'warden-ingest-'));
const lines = readFileSync(Q1, 'utf8').trimEnd().split('\n');

/** A copy of XBTUSD_60.csv, named like it (so symbol and interval come from the name), with edits. */
function alteredCopy(tag: string, edit: (rows: string[]) => void): string {
  const rows = [...lines];
  edit(rows);
  const dir = mkdtempSync(join(tmp, `${tag}-`));
  const file = join(dir, 'XBTUSD_60.csv');
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

const setField = (rows: string[], i: number, field: number, value: string) => {
  const f = rows[i]!.split(',');
  f[field] = value;
  rows[i] = f.join(',');
};

async function counts(db: Db): Promise<{ candles: number; raw: number; accepted: number; failed: number }> {
  const [r] = await db.query<{ candles: number; raw: number; accepted: number; failed: number }>(
    `SELECT (SELECT count(*)::int FROM candles) AS candles, (SELECT count(*)::int FROM raw_rows) AS raw,
            (SELECT count(*)::int FROM ingest_batches WHERE status = 'accepted') AS accepted,
            (SELECT count(*)::int FROM ingest_batches WHERE status <> 'accepted') AS failed`,
  );
  return r!;
}

describeEngines('ingest gate', (ctx) => {
  test('XBTUSD_60.csv (2023 Q1) twice: 2,160 candles, the second run adds 0; values round-trip exactly', async () => {
    const db = await ctx.freshDb();
    const first = await ingestFile(db, Q1);
    assert.equal(first.status, 'accepted');
    assert.equal(first.symbol, 'BTC/USD');
    assert.equal(first.interval_s, 3600);
    assert.equal(first.accepted, 2160);
    assert.equal(first.ctt_ms, MAR31_END_MS);
    const second = await ingestFile(db, Q1);
    assert.equal(second.status, 'already_ingested');
    assert.equal(second.accepted, 0);
    assert.deepEqual(await counts(db), { candles: 2160, raw: 2160, accepted: 1, failed: 0 });
    const store = new CandleStore(db);
    const candles = await store.loadCandles('BTC/USD', 3600, JAN1_MS, MAR31_END_MS);
    assert.equal(candles.length, 2160);
    // Every stored candle renders back to the file's own text (the file has no trailing zeros to lose? compare as decimals).
    for (let i = 0; i < lines.length; i++) {
      const f = lines[i]!.split(',');
      const c = candles[i]!;
      assert.equal(c.open_time_ms, Number(f[0]) * 1000);
      assert.deepEqual([c.open, c.high, c.low, c.close, c.volume].map((d) => d.toString()), f.slice(1, 6).map((x) => x.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')));
      assert.equal(c.count, Number(f[6]));
    }
    const head = await store.seriesHead('BTC/USD', 3600);
    assert.deepEqual([head?.first_open_ms, head?.last_open_ms, head?.ctt_ms, head?.rows], [JAN1_MS, MAR31_END_MS - HOUR_MS, MAR31_END_MS, 2160]);
  });

  const bad: [string, number, string, (rows: string[]) => void][] = [
    ['high below low', 500, 'high_low', (r) => setField(r, 499, 2, '100.0')],
    ['NaN close', 700, 'finite', (r) => setField(r, 699, 4, 'NaN')],
    ['negative volume', 900, 'volume', (r) => setField(r, 899, 5, '-1.5')],
    ['duplicate timestamp with other values', 1001, 'order', (r) => { r[1000] = r[999]!.split(',')[0] + ',' + r[1000]!.split(',').slice(1).join(','); }],
    ['out-of-order row', 1201, 'order', (r) => { const t = r[1199]!; r[1199] = r[1200]!; r[1200] = t; }],
  ];
  for (const [what, line, rule, edit] of bad) {
    test(`one row altered (${what}): the batch is rejected, 0 candles written, line ${line} and rule ${rule} named`, async () => {
      const db = await ctx.freshDb();
      const file = alteredCopy(rule, edit);
      await assert.rejects(ingestFile(db, file), (e: unknown) => {
        assert.ok(e instanceof BatchRejectedError, String(e));
        assert.equal(e.exitCode, 65);
        assert.equal(e.report.status, 'rejected');
        const v = e.report.violations.find((x) => x.rule === rule);
        assert.ok(v, `a ${rule} violation in ${JSON.stringify(e.report.violations)}`);
        assert.equal(v!.where, `XBTUSD_60.csv:${line}`);
        assert.match(e.message, new RegExp(`XBTUSD_60\\.csv:${line}`));
        return true;
      });
      assert.deepEqual(await counts(db), { candles: 0, raw: 0, accepted: 0, failed: 1 });
      const rej = await new CandleStore(db).lastRejection('BTC/USD', 3600);
      assert.match(rej!.report, new RegExp(rule));
    });
  }

  test('a row that differs from the stored candle is a conflict showing both values; identical overlap is a no-op', async () => {
    const db = await ctx.freshDb();
    await ingestFile(db, Q1);
    const conflicting = alteredCopy('conflict', (r) => setField(r, 9, 5, '1.00000000'));
    await assert.rejects(ingestFile(db, conflicting), (e: unknown) => {
      assert.ok(e instanceof BatchRejectedError);
      const v = e.report.violations[0]!;
      assert.equal(v.rule, 'duplicate_conflict');
      assert.equal(v.where, 'XBTUSD_60.csv:10');
      assert.match(v.message, /stored .*v=\d+\.\d+.*this row .*v=1 /);
      return true;
    });
    // The same rows under other bytes (first 100 lines only): all duplicates, nothing new.
    const subset = alteredCopy('subset', (r) => r.splice(100));
    const r = await ingestFile(db, subset);
    assert.deepEqual([r.status, r.accepted, r.duplicates], ['accepted', 0, 100]);
    assert.equal((await counts(db)).candles, 2160);
  });

  test('a gap is reported with its length; --gaps reject refuses it', async () => {
    const db = await ctx.freshDb();
    const gapped = alteredCopy('gap', (r) => r.splice(10, 3));
    await assert.rejects(ingestFile(db, gapped, { policy: { gap: 'reject', gap_intervals_max: 2, drift_factor_max: null } }), (e: unknown) => {
      assert.ok(e instanceof BatchRejectedError);
      assert.equal(e.report.violations[0]!.rule, 'gap');
      assert.match(e.report.violations[0]!.message, /^3 missing interval/);
      return true;
    });
    const ok = await ingestFile(db, gapped);
    assert.deepEqual([ok.accepted, ok.gaps.count, ok.gaps.intervals_max], [2157, 1, 3]);
    assert.equal(ok.gaps.listed[0]!.from_ms, JAN1_MS + 10 * HOUR_MS);
  });

  test('a decimal-shift jump quarantines the batch for review; nothing is written', async () => {
    const db = await ctx.freshDb();
    const shifted = alteredCopy('drift', (r) => { const f = r[300]!.split(','); r[300] = [f[0], ...f.slice(1, 5).map((x) => String(Number(x) * 10)), f[5], f[6]].join(','); });
    await assert.rejects(ingestFile(db, shifted), (e: unknown) => {
      assert.ok(e instanceof BatchRejectedError);
      assert.equal(e.report.status, 'quarantined');
      assert.equal(e.report.violations[0]!.where, 'XBTUSD_60.csv:301');
      return true;
    });
    assert.deepEqual(await counts(db), { candles: 0, raw: 0, accepted: 0, failed: 1 });
  });

  test('REST OHLC holds back its open candle; REST trades aggregate to exactly the stored REST candles', async () => {
    const db = await ctx.freshDb();
    const ohlc = await ingestFile(db, join(PAYLOADS, 'nautilus_http_ohlc.json'));
    assert.deepEqual([ohlc.format, ohlc.symbol, ohlc.interval_s, ohlc.accepted, ohlc.held_back], ['kraken-rest-ohlc', 'BTC/USDT', 60, 720, 1]);
    // Kraken's `last` (1762820160) is the open of the last committed minute; CTT is its close,
    // which is where the held-back, still-open minute starts.
    assert.equal(ohlc.ctt_ms, (1762820160 + 60) * 1000);
    const trades = await ingestFile(db, join(PAYLOADS, 'nautilus_http_trades.json'));
    // 409 fully covered minutes (272 with trades, 137 without): every one identical to Kraken's.
    assert.deepEqual([trades.format, trades.accepted, trades.duplicates, trades.held_back], ['kraken-rest-trades', 0, 409, 2]);
    const noTrade = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM candles WHERE trades = 0`);
    assert.equal(noTrade[0]!.n, 215); // 216 in the payload, one of them the held-back open minute
  });

  test('stored candles and raw rows are append-only', async () => {
    const db = await ctx.freshDb();
    await ingestFile(db, Q1);
    await assert.rejects(db.query(`UPDATE candles SET close = '1' WHERE open_time_ms = $1`, [JAN1_MS]), /append-only/);
    await assert.rejects(db.query('DELETE FROM raw_rows'), /append-only/);
    await assert.rejects(db.query('DELETE FROM ingest_batches'), /append-only/);
  });
});
