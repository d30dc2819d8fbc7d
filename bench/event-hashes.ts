/**
 * A check for speed work, not a benchmark: runs the reference book (BTC/USD and ETH/USD) and the
 * quick-start book over the bundled hourly files (CSV source, in memory) and prints, per run, the
 * event count, a sha256 of every event's payload as the kernel writes it (payloadJson) and one of
 * the generic encoding (canonicalJson of encodeEvent), then the summary (fingerprint, state hash).
 * Run it before and after a change and diff the output: it must not move.
 * Run: npm run build && node dist/bench/event-hashes.js
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { encodeEvent, payloadJson, resolveBook, type BookConfigInput, type BookEvent } from '../src/core/book/index.js';
import { canonicalJson } from '../src/core/canonical/index.js';
import { runBacktest } from '../src/backtest/run.js';
import { csvReader } from '../src/backtest/csv.js';

const FILES = { 'BTC/USD': resolve('data/kraken/XBTUSD_60.csv'), 'ETH/USD': resolve('data/kraken/ETHUSD_60.csv') };
const sma = (symbol: string) => [{ skill: 'sma-cross', symbols: [symbol], params: { fast: 10, slow: 30, atr_period: 9 } }];
const RUNS: [string, string, string[], unknown][] = [
  ['reference-btc', 'reference.book.json', ['BTC/USD'], sma('BTC/USD')],
  ['reference-eth', 'reference.book.json', ['ETH/USD'], sma('ETH/USD')],
  ['quickstart', 'quickstart.book.json', ['BTC/USD', 'ETH/USD'], undefined],
];

for (const [name, file, symbols, skills] of RUNS) {
  const raw = JSON.parse(readFileSync(resolve('config', file), 'utf8')) as Record<string, unknown>;
  raw.data = { symbols, timeframe_s: 3600, source: { kind: 'kraken_ohlcvt_csv', paths: FILES } };
  if (skills !== undefined) raw.skills = skills;
  const book = resolveBook(raw as unknown as BookConfigInput);
  const direct = createHash('sha256');
  const generic = createHash('sha256');
  let events = 0;
  const sink = {
    write(step: readonly BookEvent[]) {
      for (const e of step) {
        events++;
        direct.update(`${e.type}|${e.time_ms}|${payloadJson(e)}\n`);
        const ne = encodeEvent(e);
        generic.update(`${canonicalJson({ type: ne.type, time_ms: ne.time_ms, payload: ne.payload })}\n`);
      }
    },
  };
  const r = await runBacktest(book, csvReader(FILES, resolve('config', 'x.json'), 3600, null, null), sink);
  console.log(name, events, direct.digest('hex').slice(0, 16), generic.digest('hex').slice(0, 16), JSON.stringify(r.summary));
}
