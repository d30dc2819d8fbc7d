/**
 * The backtest's streaming CSV source (readGatedCandles) on Kraken's real files: the same candles
 * as the row parser gives, in bounded batches, filtered to [from, to); copies with one row
 * altered are refused at that file:line with the rule `warden ingest` names for the same copy
 * (checked against ingestFile on both engines); the wrong series, non-regular files and runaway
 * lines are refused at once.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeEngines } from '../../test/support/engines.js';
import { EXTERNAL_DATA_DIR } from '../../test/support/market-data.js';
import { loadKrakenCsv } from '../../test/support/candles-csv.js';
import type { Candle } from '../core/market/candle.js';
import { BatchRejectedError, GateViolationError, IngestInputError } from './errors.js';
import { GATED_BATCH_ROWS, readGatedCandles, type GatedReadOptions, type GatedReadSummary } from './gated-reader.js';
import { ingestFile } from './ingest.js';
import { parseKrakenOhlcvtLineFull } from './parsers.js';

const FULL = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_hourly_full');
const BTC = join(FULL, 'XBTUSD_60.csv');
const ETH = join(FULL, 'ETHUSD_60.csv');
const Q1 = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSD_60.csv');
const BINANCE_1M = join(EXTERNAL_DATA_DIR, 'binanceus_1m_2023-03', 'BTCUSD_1m_20230301_20230321.csv');
const HOUR_MS = 3_600_000;
const JAN1_MS = 1_672_531_200_000;
const FEB1_MS = 1_675_209_600_000;
const MAR1_MS = 1_677_628_800_000;

const tmp = mkdtempSync(join(tmpdir(), 'warden-gated-'));
const q1Lines = readFileSync(Q1, 'utf8').trimEnd().split('\n');
const BTC_Q1: GatedReadOptions = { symbol: 'BTC/USD', interval_s: 3600, from_ms: null, to_ms: null };

let copies = 0;
/** A copy of the 2023-Q1 XBTUSD_60.csv, named like it (the name must name the series), with edits. */
function q1Copy(edit: (rows: string[]) => void = () => undefined, opts: { name?: string; eol?: string } = {}): string {
  const rows = [...q1Lines];
  edit(rows);
  const dir = join(tmp, `c${++copies}`);
  mkdirSync(dir);
  const file = join(dir, opts.name ?? 'XBTUSD_60.csv');
  const eol = opts.eol ?? '\n';
  writeFileSync(file, rows.join(eol) + eol);
  return file;
}
const setField = (rows: string[], i: number, field: number, value: string) => {
  const f = rows[i]!.split(',');
  f[field] = value;
  rows[i] = f.join(',');
};

async function readAll(file: string, opts: GatedReadOptions): Promise<{ candles: Candle[]; batches: number[]; summary: GatedReadSummary }> {
  const it = readGatedCandles(file, opts);
  const candles: Candle[] = [];
  const batches: number[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return { candles, batches, summary: r.value };
    batches.push(r.value.length);
    candles.push(...r.value);
  }
}

/** Decimals as [units, scale]: equal means the same value AND the same text scale as the parser gives. */
const exact = (c: Candle) => ({ ...c, open: [c.open.units, c.open.scale], high: [c.high.units, c.high.scale], low: [c.low.units, c.low.scale], close: [c.close.units, c.close.scale], volume: [c.volume.units, c.volume.scale] });
const byValue = (c: Candle) => [c.symbol, c.interval_s, c.open_time_ms, c.open.toString(), c.high.toString(), c.low.toString(), c.close.toString(), c.volume.toString(), c.count].join(' ');

test('the full hourly BTC/USD and ETH/USD files: every row, exactly as the row parser and the test loader read them', async () => {
  for (const [file, symbol] of [[BTC, 'BTC/USD'], [ETH, 'ETH/USD']] as const) {
    const { candles, batches, summary } = await readAll(file, { symbol, interval_s: 3600, from_ms: null, to_ms: null });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(candles.length, lines.length, file);
    const parsed = lines.map((l, i) => {
      const p = parseKrakenOhlcvtLineFull(l, `${file}:${i + 1}`, symbol, 3600);
      assert.ok(p.ok);
      return p.value as Candle;
    });
    assert.deepEqual(candles.map(exact), parsed.map(exact));
    assert.deepEqual(candles.map(byValue), loadKrakenCsv(file, symbol, 3600).map(byValue));
    assert.ok(batches.every((n) => n === GATED_BATCH_ROWS) || batches.slice(0, -1).every((n) => n === GATED_BATCH_ROWS), 'full batches but the last');
    assert.equal(summary.rows_read, lines.length);
    assert.equal(summary.yielded, lines.length);
    assert.equal(summary.first_open_ms, candles[0]!.open_time_ms);
    assert.equal(summary.last_open_ms, candles.at(-1)!.open_time_ms);
    // Kraken's CSV omits no-trade hours: gaps are reported, never refused.
    assert.ok(summary.gaps.count > 100, `${file}: ${summary.gaps.count} gaps`);
  }
});

test('batches never exceed batch_rows; any batch size gives the same candles in the same order', async () => {
  const all = (await readAll(Q1, BTC_Q1)).candles;
  assert.equal(all.length, 2160);
  for (const batch_rows of [1, 7, 1000, 2160, 5000]) {
    const r = await readAll(Q1, { ...BTC_Q1, batch_rows });
    assert.ok(r.batches.every((n) => n >= 1 && n <= batch_rows), `batch_rows ${batch_rows}: ${Math.max(...r.batches)}`);
    assert.equal(r.batches.length, Math.ceil(2160 / batch_rows));
    assert.deepEqual(r.candles.map(byValue), all.map(byValue));
  }
  for (const batch_rows of [0, -1, 1.5, 2_000_000]) {
    await assert.rejects(readAll(Q1, { ...BTC_Q1, batch_rows }), (e: unknown) => e instanceof IngestInputError && e.exitCode === 64 && /batch_rows/.test(e.message));
  }
});

test('from/to keep open times in [from, to); the whole file is gated whatever the window', async () => {
  const all = (await readAll(Q1, BTC_Q1)).candles;
  const feb = await readAll(Q1, { ...BTC_Q1, from_ms: FEB1_MS, to_ms: MAR1_MS, batch_rows: 100 });
  assert.equal(feb.candles.length, 28 * 24);
  assert.equal(feb.candles[0]!.open_time_ms, FEB1_MS);
  assert.equal(feb.candles.at(-1)!.open_time_ms, MAR1_MS - HOUR_MS);
  assert.equal(feb.summary.rows_read, 2160, 'every row read and gated');
  assert.deepEqual((await readAll(Q1, { ...BTC_Q1, to_ms: FEB1_MS })).candles.map(byValue), all.filter((c) => c.open_time_ms < FEB1_MS).map(byValue));
  assert.deepEqual((await readAll(Q1, { ...BTC_Q1, from_ms: FEB1_MS + 1 })).candles[0]!.open_time_ms, FEB1_MS + HOUR_MS);
  const none = await readAll(Q1, { ...BTC_Q1, from_ms: FEB1_MS, to_ms: FEB1_MS });
  assert.deepEqual([none.batches, none.summary.rows_read], [[], 2160]);
  // A bad row outside the window still refuses the file: its verdict does not depend on the window.
  const bad = q1Copy((r) => setField(r, 2000, 2, '1.0'));
  await assert.rejects(readAll(bad, { ...BTC_Q1, from_ms: JAN1_MS, to_ms: FEB1_MS }), (e: unknown) => e instanceof GateViolationError && e.where === `${bad}:2001`);
});

/** [what, 1-based line, rule, message pattern, edit]: each one row of the Q1 file altered. */
const BAD: [string, number, string, RegExp, (rows: string[]) => void][] = [
  ['high below low', 500, 'high_low', /high 100 is below max\(open/, (r) => setField(r, 499, 2, '100.0')],
  ['NaN close', 700, 'finite', /close is "NaN"/, (r) => setField(r, 699, 4, 'NaN')],
  ['Infinity open', 710, 'finite', /open is "Infinity"/, (r) => setField(r, 709, 1, 'Infinity')],
  ['negative volume', 900, 'volume', /volume -1\.5 is negative/, (r) => setField(r, 899, 5, '-1.5')],
  ['negative count', 950, 'count', /trade count -3 is not an integer >= 0/, (r) => setField(r, 949, 6, '-3')],
  ['count 0 but traded', 960, 'no_trade', /count 0 \(no trades\)/, (r) => setField(r, 959, 6, '0')],
  ['duplicate timestamp with other values', 1001, 'order', /appears twice/, (r) => { r[1000] = r[999]!.split(',')[0] + ',' + r[1000]!.split(',').slice(1).join(','); }],
  ['out-of-order row', 1201, 'order', /is not after the previous row's/, (r) => { const t = r[1199]!; r[1199] = r[1200]!; r[1200] = t; }],
  ['misaligned time', 1300, 'alignment', /is not a multiple of the interval 3600s/, (r) => setField(r, 1299, 0, String(Number(r[1299]!.split(',')[0]) + 60))],
  ['decimal shift (drift)', 301, 'drift', /jumps from the previous close .* by more than a factor 3/, (r) => { const f = r[300]!.split(','); r[300] = [f[0], ...f.slice(1, 5).map((x) => String(Number(x) * 10)), f[5], f[6]].join(','); }],
  ['six fields', 1500, 'schema', /expected 7 comma-separated fields/, (r) => { r[1499] = r[1499]!.split(',').slice(0, 6).join(','); }],
];
const badFiles = BAD.map(([, , , , edit]) => q1Copy(edit));

test('one row altered: refused at file:line with the rule and the value (exit 65), after the rows before it streamed', async () => {
  for (const [i, [what, line, rule, re]] of BAD.entries()) {
    const file = badFiles[i]!;
    let yielded = 0;
    await assert.rejects((async () => {
      for await (const b of readGatedCandles(file, { ...BTC_Q1, batch_rows: 100 })) yielded += b.length;
    })(), (e: unknown) => {
      assert.ok(e instanceof GateViolationError, `${what}: ${String(e)}`);
      assert.equal(e.exitCode, 65);
      assert.equal(e.rule, rule, what);
      assert.equal(e.where, `${file}:${line}`, what);
      assert.ok(e.message.startsWith(`${file}:${line}: [${rule}] `), e.message);
      assert.match(e.message, re, what);
      return true;
    });
    assert.equal(yielded, Math.floor((line - 1) / 100) * 100, `${what}: only whole batches before the bad row were handed on`);
  }
});

describeEngines('the reader refuses what warden ingest refuses, at the same line with the same rule', (ctx) => {
  test('every altered copy', async () => {
    for (const [i, [what]] of BAD.entries()) {
      const db = await ctx.freshDb();
      const file = badFiles[i]!;
      const ingest = await ingestFile(db, file).then(() => null, (e: unknown) => e);
      assert.ok(ingest instanceof BatchRejectedError, `${what}: ingest must refuse it too`);
      const first = ingest.report.violations[0]!;
      const read = await readAll(file, BTC_Q1).then(() => null, (e: unknown) => e);
      assert.ok(read instanceof GateViolationError, what);
      assert.deepEqual([read.rule, read.where.split('/').pop(), read.violation.message], [first.rule, first.where, first.message], what);
    }
  });
});

test('the file must hold the series asked for: another pair or interval in the name is refused', async () => {
  await assert.rejects(readAll(ETH, { ...BTC_Q1 }), (e: unknown) => {
    assert.ok(e instanceof GateViolationError, String(e));
    assert.equal(e.exitCode, 65);
    assert.equal(e.rule, 'symbol');
    assert.match(e.message, /ETHUSD_60\.csv: \[symbol\] symbol BTC\/USD does not match the file name ETHUSD_60\.csv \(ETH\/USD\)/);
    return true;
  });
  await assert.rejects(readAll(Q1, { ...BTC_Q1, interval_s: 60 }), (e: unknown) => e instanceof GateViolationError && /interval 60s does not match the file name XBTUSD_60\.csv \(3600s\)/.test(e.message));
  await assert.rejects(readAll(Q1, { ...BTC_Q1, symbol: 'XBTUSD' }), (e: unknown) => e instanceof IngestInputError && e.exitCode === 64 && /not a canonical symbol \(did you mean BTC\/USD\?\)/.test(e.message));
  // A name that names no series: the caller's symbol and interval are taken, and the gate checks every row.
  const unnamed = q1Copy(undefined, { name: 'btc-hourly.csv' });
  assert.equal((await readAll(unnamed, BTC_Q1)).candles.length, 2160);
  await assert.rejects(readAll(unnamed, { ...BTC_Q1, interval_s: 7200 }), (e: unknown) => e instanceof GateViolationError && e.rule === 'alignment' && e.where === `${unnamed}:2`); // 1672531200 is a multiple of 7200, the next hour is not
});

test('a generic OHLCV CSV (header, ISO times, no trade count): 1-minute candles; traded bars count 1', async () => {
  const r = await readAll(BINANCE_1M, { format: 'ohlcv-csv', symbol: 'BTC/USD', interval_s: 60, from_ms: null, to_ms: null });
  const rows = readFileSync(BINANCE_1M, 'utf8').trimEnd().split('\n').length - 1;
  assert.equal(r.summary.rows_read, rows);
  assert.equal(r.candles[0]!.open_time_ms, Date.UTC(2023, 2, 1));
  assert.equal(r.candles[0]!.close.toString(), '23143.72');
  assert.ok(r.candles.every((c) => c.count === (c.volume.isPositive() ? 1 : 0)));
  await assert.rejects(readAll(BINANCE_1M, { symbol: 'BTC/USD', interval_s: 3600, from_ms: null, to_ms: null }), (e: unknown) => e instanceof GateViolationError && e.rule === 'symbol');
});

test('an identical repeated row is a no-op (as in ingest); CRLF line ends read the same; an empty file is refused', async () => {
  const all = (await readAll(Q1, BTC_Q1)).candles.map(byValue);
  const repeated = await readAll(q1Copy((r) => r.splice(10, 0, r[10]!)), BTC_Q1);
  assert.deepEqual([repeated.summary.rows_read, repeated.summary.repeats], [2161, 1]);
  assert.deepEqual(repeated.candles.map(byValue), all);
  assert.deepEqual((await readAll(q1Copy(undefined, { eol: '\r\n' }), BTC_Q1)).candles.map(byValue), all);
  const blankLines = await readAll(q1Copy((r) => r.splice(5, 0, '', '  ')), BTC_Q1);
  assert.deepEqual(blankLines.candles.map(byValue), all);
  const empty = q1Copy((r) => r.splice(0));
  await assert.rejects(readAll(empty, BTC_Q1), (e: unknown) => e instanceof IngestInputError && /: the file is empty \(no data rows\)$/.test(e.message)); // as ingest
  await assert.rejects(readAll(empty, { ...BTC_Q1, format: 'kraken-ohlcvt' }), (e: unknown) => e instanceof GateViolationError && e.rule === 'schema' && /no data rows/.test(e.message));
});

test('a trades file, a FIFO, /dev/zero, a directory, a missing file and a runaway line are refused at once', async () => {
  const trades = join(tmp, 'trades', 'XBTUSD_60.csv');
  mkdirSync(join(tmp, 'trades'));
  writeFileSync(trades, '1381095255.1,122.0,0.1\n1381179030.2,123.61,0.1\n');
  const fifo = join(tmp, 'XBTUSD_60.fifo');
  execFileSync('mkfifo', [fifo]);
  const cases: [string, RegExp][] = [
    [trades, /kraken-trades is not a candle file/],
    [fifo, /a FIFO \(named pipe\); market data is read from regular files only/],
    ['/dev/zero', /a character device/],
    [tmp, /a directory/],
    [join(tmp, 'nope', 'XBTUSD_60.csv'), /cannot read it \(ENOENT\)/],
    [q1Copy((r) => { r[3] = 'x'.repeat(100_000); }), /XBTUSD_60\.csv:4: line longer than 4096 characters/],
  ];
  for (const [path, re] of cases) {
    const t0 = Date.now();
    await assert.rejects(readAll(path, BTC_Q1), (e: unknown) => {
      assert.ok(e instanceof IngestInputError, `${path}: ${String(e)}`);
      assert.equal(e.exitCode, 65);
      assert.match(e.message, re);
      return true;
    });
    assert.ok(Date.now() - t0 < 5_000, `${path}: refused at once`);
  }
});

test('a consumer that stops early closes the file (no descriptor left open)', async () => {
  const fds = () => readdirSync('/proc/self/fd').length;
  const before = fds();
  for (let k = 0; k < 20; k++) {
    for await (const b of readGatedCandles(BTC, { symbol: 'BTC/USD', interval_s: 3600, from_ms: null, to_ms: null, batch_rows: 10 })) {
      assert.equal(b.length, 10);
      break;
    }
  }
  await assert.rejects(readAll(badFiles[0]!, BTC_Q1), BAD[0]![3]); // refused by the gate (its rule's message), not by something else
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(fds() <= before + 1, `descriptors: ${before} before, ${fds()} after`);
});

/**
 * Reads `file` in a child node whose old generation is capped at HEAP_CAP_MB; with `keep`, it
 * also keeps every candle (what a whole-file reader holds): that one must run out of memory.
 */
const HEAP_CAP_MB = 96;
function readCapped(file: string, keep: boolean): { code: number | null; stdout: string; stderr: string } {
  const reader = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'gated-reader.js')).href;
  const script = `import { readGatedCandles } from ${JSON.stringify(reader)};
    const kept = []; let n = 0;
    for await (const b of readGatedCandles(${JSON.stringify(file)}, { symbol: 'BTC/USD', interval_s: 60, from_ms: null, to_ms: null })) { n += b.length; if (${keep}) kept.push(b); }
    console.log(n);`;
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test(`memory stays bounded whatever the file length: 1,000,000 one-minute rows (~60 MB) stream in a ${HEAP_CAP_MB} MB heap that keeping their candles overflows`, () => {
  const dir = join(tmp, 'big');
  mkdirSync(dir);
  const file = join(dir, 'XBTUSD_1.csv');
  const rows = 1_000_000;
  const t0 = 1_600_000_020 - (1_600_000_020 % 60);
  const fd = openSync(file, 'w');
  for (let k = 0; k < rows; k += 10_000) {
    const part: string[] = [];
    for (let i = k; i < k + 10_000; i++) {
      const o = 10_000 + (i % 500) / 100;
      part.push(`${t0 + i * 60},${o.toFixed(2)},${(o + 0.5).toFixed(2)},${(o - 0.5).toFixed(2)},${o.toFixed(2)},${(1 + (i % 97) / 8).toFixed(8)},${1 + (i % 13)}\n`);
    }
    writeSync(fd, part.join(''));
  }
  closeSync(fd);
  const streamed = readCapped(file, false);
  assert.equal(streamed.code, 0, streamed.stderr.slice(-2000));
  assert.equal(streamed.stdout.trim(), String(rows));
  // The control: the same read keeping every candle (~400 bytes each) does not fit the cap.
  const kept = readCapped(file, true);
  assert.notEqual(kept.code, 0, 'keeping 1,000,000 candles must overflow the capped heap, else the cap proves nothing');
  assert.match(kept.stderr, /heap out of memory|Allocation failed/);
});
