/**
 * Parsers: exponent expansion (checked against big.js), field errors naming line and rule, symbols;
 * the fast path of the Kraken OHLCVT row parser against its full checks (fast-check and every row
 * of the real hourly files).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXTERNAL_DATA_DIR } from '../../test/support/market-data.js';
import Big from 'big.js';
import fc from 'fast-check';
import '../../test/support/property.js';
import { Decimal, expandExponent } from '../core/money/decimal.js';
import { canonicalSymbol } from '../core/market/symbols.js';
import { PLAIN_ROW_LENGTH } from '../core/market/gate.js';
import { parseKrakenOhlcvtLine, parseKrakenOhlcvtLineFull, parseOhlcvHeader, parseRestTradeRow, scanPlainKrakenOhlcvt, scanPlainKrakenOhlcvtBytes, secondsTextToUs, type Parsed } from './parsers.js';
import type { MarketCandle } from '../core/market/candle.js';

test('exponent notation expands exactly (big.js as the oracle), incl. the 1E+1 volumes of Kraken hourly XBTUSD', () => {
  Big.NE = -50; Big.PE = 50; // big.js prints plain notation in this range
  fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: -12, max: 12 }), (units, frac, exp) => {
    const s = String(units);
    const mant = frac > 0 && s.length > frac ? `${s.slice(0, -frac)}.${s.slice(-frac)}` : s;
    const text = `${mant}E${exp >= 0 ? '+' : ''}${exp}`;
    assert.equal(Decimal.parse(expandExponent(text)!).toString(), Decimal.parse(new Big(text).toFixed()).toString(), text);
  }));
  assert.equal(expandExponent('1E+1'), '10');
  assert.equal(expandExponent('12.5'), null);
});

test('a bad field is a violation naming where, the field and the rule', () => {
  const nan = parseKrakenOhlcvtLine('1672531200,16528.7,NaN,16505.2,16519.3,96.6,803', 'f.csv:7', 'BTC/USD', 3600);
  assert.deepEqual(nan.ok ? null : [nan.violation.rule, nan.violation.where], ['finite', 'f.csv:7']);
  assert.match(nan.ok ? '' : nan.violation.message, /^high is "NaN"/);
  const short = parseKrakenOhlcvtLine('1672531200,16528.7', 'f.csv:8', 'BTC/USD', 3600);
  assert.match(short.ok ? '' : short.violation.message, /expected 7 comma-separated fields/);
  const inf = parseKrakenOhlcvtLine('1672531200,16528.7,Infinity,16505.2,16519.3,96.6,803', 'f.csv:9', 'BTC/USD', 3600);
  assert.equal(inf.ok ? null : inf.violation.rule, 'finite');
});

test('REST trade rows of both shapes (6 and 7 elements) parse; times keep their microseconds', () => {
  const six = parseRestTradeRow(['19089.80000', '0.00100000', 1607183031.6367, 's', 'l', ''], 'p');
  const seven = parseRestTradeRow(['105433.60000', '0.00027625', 1762795433.9717445, 'b', 'l', '', 10218208], 'p');
  assert.ok(six.ok && seven.ok);
  assert.equal(six.value.time_us, 1607183031636700);
  assert.equal(seven.value.time_us, 1762795433971744);
  assert.equal(seven.value.price.toString(), '105433.6');
  assert.equal(secondsTextToUs('1762795433', 'x'), 1762795433000000);
});

test('every Kraken spelling of a pair maps to one canonical symbol', () => {
  for (const p of ['XBTUSD', 'XXBTZUSD', 'XBT/USD', 'BTC/USD', 'btcusd', 'BTC-USD']) assert.equal(canonicalSymbol(p), 'BTC/USD', p);
  for (const p of ['ETHUSD', 'XETHZUSD', 'ETH/USD']) assert.equal(canonicalSymbol(p), 'ETH/USD', p);
  assert.equal(canonicalSymbol('XBTUSDT'), 'BTC/USDT');
  assert.equal(canonicalSymbol('XBTUSDC'), 'BTC/USDC');
  assert.equal(canonicalSymbol('XDGUSD'), 'DOGE/USD');
  assert.throws(() => canonicalSymbol('FOOBAR'), /cannot tell base from quote/);
});

/** A parse result with its decimals as [units, scale], so deepEqual compares values and scales exactly. */
function plainResult(p: Parsed<MarketCandle>): unknown {
  if (!p.ok) return p;
  const d = (x: Decimal | null) => (x === null ? null : [x.units, x.scale]);
  const c = p.value;
  return { ...c, open: d(c.open), high: d(c.high), low: d(c.low), close: d(c.close), volume: d(c.volume), vwap: d(c.vwap) };
}

test('Kraken OHLCVT rows: the fast path gives exactly what the full checks give (fast-check)', () => {
  const field = fc.oneof(
    fc.stringMatching(/^-?[0-9]{1,8}(\.[0-9]{1,8})?$/),
    fc.constantFrom('0', '00', '007', '1E+1', '5e-3', ' 12.5', '12.5 ', 'NaN', 'inf', '-0', '1.', '.5', '', '1234567890123456', '99999999999', '32503680000', '32503680001'),
    fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '-', 'e', ' '), maxLength: 10 }),
  );
  const int = fc.oneof(fc.integer({ min: 0, max: 40_000_000_000 }).map(String), field);
  fc.assert(fc.property(int, field, field, field, field, field, int, fc.constantFrom(7, 6, 8), (t, o, h, l, c, v, n, k) => {
    const line = [t, o, h, l, c, v, n, '1'].slice(0, k).join(',');
    assert.deepEqual(plainResult(parseKrakenOhlcvtLine(line, 'f:1', 'BTC/USD', 3600)), plainResult(parseKrakenOhlcvtLineFull(line, 'f:1', 'BTC/USD', 3600)), line);
  }), { numRuns: 20_000 });
});

test('Kraken OHLCVT rows: the byte scanner gives the string scanner\'s verdict and numbers, the line anywhere in a buffer (fast-check)', () => {
  const field = fc.oneof(
    fc.stringMatching(/^[0-9]{1,8}(\.[0-9]{1,8})?$/),
    fc.constantFrom('0', '00', '007', '1E+1', ' 12.5', 'NaN', '-0', '-1', '1.', '.5', '', '1234567890123456', '123456789012345', '0.00000000000001', '32503680000', '32503680001'),
    fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '-', 'e', ' ', ','), maxLength: 10 }),
  );
  fc.assert(fc.property(fc.array(field, { minLength: 1, maxLength: 9 }), fc.string({ unit: fc.constantFrom('1', ',', '\n'), maxLength: 5 }), fc.string({ unit: fc.constantFrom('1', ',', '.'), maxLength: 5 }), (fields, before, after) => {
    const line = fields.join(',');
    const a = new Float64Array(PLAIN_ROW_LENGTH);
    const b = new Float64Array(PLAIN_ROW_LENGTH);
    const bytes = Buffer.from(before + line + after, 'latin1');
    const ok = scanPlainKrakenOhlcvt(line, a);
    assert.equal(scanPlainKrakenOhlcvtBytes(bytes, before.length, before.length + line.length, b), ok, line);
    if (ok) assert.deepEqual(b, a, line);
  }), { numRuns: 20_000 });
});

test('Kraken OHLCVT rows: the fast path equals the full checks on every row of the real hourly files', () => {
  for (const name of ['XBTUSD_60.csv', 'ETHUSD_60.csv']) {
    const lines = readFileSync(join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_hourly_full', name), 'utf8').trimEnd().split('\n');
    assert.ok(lines.length > 60_000, name);
    for (let i = 0; i < lines.length; i++) {
      const fast = parseKrakenOhlcvtLine(lines[i]!, `${name}:${i + 1}`, 'X/USD', 3600);
      assert.ok(fast.ok, `${name}:${i + 1}`);
      const a = new Float64Array(PLAIN_ROW_LENGTH);
      const b = new Float64Array(PLAIN_ROW_LENGTH);
      const plain = scanPlainKrakenOhlcvt(lines[i]!, a);
      assert.equal(scanPlainKrakenOhlcvtBytes(Buffer.from(lines[i]!, 'latin1'), 0, lines[i]!.length, b), plain, `${name}:${i + 1}`);
      assert.deepEqual(b, a, `${name}:${i + 1}`);
      assert.deepEqual(plainResult(fast), plainResult(parseKrakenOhlcvtLineFull(lines[i]!, `${name}:${i + 1}`, 'X/USD', 3600)), `${name}:${i + 1}`);
    }
  }
});

test('an OHLCV CSV header names each field once: two columns for one field (open twice; a split date,time) are refused naming both, never one picked', () => {
  const ok = parseOhlcvHeader('open_time,open,high,low,close,volume', 'btc.csv:1');
  assert.ok(ok.ok && ok.value.time === 0 && ok.value.volume === 5 && ok.value.count === null);
  for (const [header, re] of [
    ['time,open,open,high,low,close,volume', /^header: columns 2 \("open"\) and 3 \("open"\) both name the open field; keep one/],
    ['date,time,open,high,low,close,volume', /^header: columns 1 \("date"\) and 2 \("time"\) both name the open_time field/],
    ['time,open,high,low,close,volume,vol', /columns 6 \("volume"\) and 7 \("vol"\) both name the volume field/],
    ['time,open,high,low,close,volume,trades,count', /columns 7 \("trades"\) and 8 \("count"\) both name the trades field/],
  ] as const) {
    const r = parseOhlcvHeader(header, 'btc.csv:1');
    assert.ok(!r.ok && r.violation.rule === 'schema' && r.violation.where === 'btc.csv:1' && re.test(r.violation.message), `${header}: ${JSON.stringify(r)}`);
  }
});
