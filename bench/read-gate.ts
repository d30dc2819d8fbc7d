/**
 * The backtest's CSV source, printed (never asserted): rows/s of readGatedCandles (stream, parse
 * to exact decimals, the ingestion gate, batches) over the real hourly BTC/USD file, next to a
 * floor measured in the same run: the same file read the same way, split by hand and every
 * field through parseFloat (no decimals, no rules). Also the heap after the run (bounded memory:
 * it must not grow with the file). Target (issue F9): >= 1M rows/s for read+gate.
 * Run: npm run bench:read [-- FILE] [-- --reps N]
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GATED_BATCH_ROWS, readGatedCandles } from '../src/ingest/gated-reader.js';
import { READ_CHUNK_BYTES, READ_CHUNKS_PER_TURN } from '../src/ingest/source.js';
import { parseOhlcvtFileName } from '../src/core/market/symbols.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const repsAt = args.indexOf('--reps');
const REPS = repsAt >= 0 ? Number(args.splice(repsAt, 2)[1]) : 9;
const FILE = args[0] ?? join(root, '..', 'shared', 'data', 'external', 'kraken_ohlcvt_hourly_full', 'XBTUSD_60.csv');
const series = parseOhlcvtFileName(basename(FILE));
if (!series) throw new Error(`${FILE}: expected a Kraken OHLCVT name like XBTUSD_60.csv`);

/**
 * The floor: the file read as the reader reads it (synchronous READ_CHUNK_BYTES chunks, UTF-8
 * decoded, a turn of the event loop every READ_CHUNKS_PER_TURN chunks) + split lines + split
 * fields + parseFloat, summed so nothing is optimized away.
 */
async function floor(): Promise<{ rows: number; check: number }> {
  let rows = 0;
  let check = 0;
  let carry = '';
  const fd = openSync(FILE, 'r');
  const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  const decoder = new StringDecoder('utf8');
  try {
    for (let chunks = 1, pos = 0; ; chunks++) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
      const text = carry + decoder.write(buf.subarray(0, n));
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const f = text.slice(start, nl).split(',');
        start = nl + 1;
        if (f.length !== 7) continue;
        check += parseFloat(f[0]!) + parseFloat(f[1]!) + parseFloat(f[2]!) + parseFloat(f[3]!) + parseFloat(f[4]!) + parseFloat(f[5]!) + parseFloat(f[6]!);
        rows++;
      }
      carry = text.slice(start);
      if (chunks % READ_CHUNKS_PER_TURN === 0) await new Promise<void>((ok) => setImmediate(ok));
    }
  } finally {
    closeSync(fd);
  }
  if (carry.length > 0) rows++;
  return { rows, check };
}

async function ours(batch_rows?: number): Promise<{ rows: number; check: number }> {
  let rows = 0;
  let check = 0;
  const it = readGatedCandles(FILE, { symbol: series!.symbol, interval_s: series!.interval_s, from_ms: null, to_ms: null, batch_rows });
  for await (const batch of it) {
    rows += batch.length;
    check += batch[batch.length - 1]!.open_time_ms;
  }
  return { rows, check };
}

/** Rows per second of wall time (median, best) and per second of this process's CPU time (median): on a loaded machine the wall clock also counts waiting for a core. */
async function measure(fn: () => Promise<{ rows: number }>): Promise<{ rows: number; best: number; median: number; cpu: number }> {
  await fn(); // warm-up
  const rates: number[] = [];
  const cpuRates: number[] = [];
  let rows = 0;
  for (let i = 0; i < REPS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    rows = (await fn()).rows;
    rates.push(rows / ((performance.now() - t0) / 1000));
    const c = process.cpuUsage(c0);
    cpuRates.push(rows / ((c.user + c.system) / 1e6));
  }
  rates.sort((a, b) => a - b);
  cpuRates.sort((a, b) => a - b);
  return { rows, best: rates[rates.length - 1]!, median: rates[Math.floor(rates.length / 2)]!, cpu: cpuRates[Math.floor(cpuRates.length / 2)]! };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10);
const line = (label: string, r: { median: number; best: number; cpu: number }, floor?: { median: number }) =>
  `${label.padEnd(48)} ${fmt(r.median)} / ${fmt(r.best)} rows/s wall   ${fmt(r.cpu)} rows/cpu-s` + (floor ? `   (${(r.median / floor.median * 100).toFixed(0)} % of the floor)` : '');
const f = await measure(floor);
const o = await measure(() => ours());
const o10k = await measure(() => ours(10_000));
const heapMb = process.memoryUsage().heapUsed / 1024 ** 2;
console.log(`${basename(FILE)}: ${o.rows.toLocaleString('en-US')} rows, ${REPS} runs each: median / best wall rate, median CPU rate`);
console.log(line('floor  read + split + parseFloat', f));
console.log(line(`ours   readGatedCandles, batches of ${GATED_BATCH_ROWS.toLocaleString('en-US')}`, o, f));
console.log(line('ours   the same, batches of 10,000', o10k, f));
console.log(`heap used after the runs: ${heapMb.toFixed(1)} MB`);
