/**
 * Text -> typed rows, one row at a time, pure (no I/O): the ingest runner streams lines or
 * payload elements through these. A bad field never throws past here: it becomes a Violation
 * naming where (file:line), the field, the rule and the value, so a whole file can be checked
 * and reported at once.
 *   kraken-ohlcvt       "ts,open,high,low,close,volume,trades" (no header; Kraken's download)
 *   ohlcv-csv           a header row naming open_time|time|timestamp|date, open, high, low, close,
 *                       volume and optionally trades|count and vwap; time as epoch s, epoch ms or ISO UTC
 *   kraken-trades       "ts,price,volume" (Kraken's trade history download)
 *   kraken-rest-ohlc    REST /0/public/OHLC rows [time, o, h, l, c, vwap, volume, count]
 *   kraken-rest-trades  REST /0/public/Trades rows [price, volume, time, side, type, misc(, id)]
 */
import { Decimal, expandExponent } from '../core/money/decimal.js';
import type { MarketCandle } from '../core/market/candle.js';
import type { Trade } from '../core/market/aggregate.js';
import { PLAIN_CLOSE, PLAIN_COUNT, PLAIN_HIGH, PLAIN_LOW, PLAIN_OPEN, PLAIN_ROW_LENGTH, PLAIN_TIME, PLAIN_VOLUME, type Violation } from '../core/market/gate.js';
import { parseIsoUtcMs } from '../core/market/time.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; violation: Violation };

const NON_FINITE_RE = /^[+-]?(nan|inf|infinity)$/i;

class FieldError extends Error {
  constructor(readonly violation: Violation) {
    super(violation.message);
  }
}

function fail(rule: Violation['rule'], where: string, message: string): never {
  throw new FieldError({ rule, where, message });
}

/** A decimal field; NaN/Inf is its own rule, anything else not a plain decimal is schema. */
export function decimalField(text: string | undefined, field: string, where: string): Decimal {
  if (text === undefined) fail('schema', where, `${field}: missing`);
  const plain = Decimal.tryParsePlain(text, 0, text.length); // the common case, no trim or regex needed
  if (plain !== null) return plain;
  const t = text.trim();
  if (NON_FINITE_RE.test(t)) fail('finite', where, `${field} is ${JSON.stringify(t)}: prices and volumes must be finite numbers`);
  try {
    return Decimal.parse(expandExponent(t) ?? t, field);
  } catch (e) {
    fail('schema', where, (e as Error).message);
  }
}

function intField(text: string | undefined, field: string, where: string): number {
  const t = text?.trim();
  if (t === undefined || !/^-?\d{1,16}$/.test(t)) fail(NON_FINITE_RE.test(t ?? '') ? 'finite' : 'schema', where, `${field}: expected an integer, got ${JSON.stringify(text)}`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) fail('schema', where, `${field}: ${t} is out of range`);
  return n;
}

function guard<T>(fn: () => T): Parsed<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof FieldError) return { ok: false, violation: e.violation };
    throw e;
  }
}

/** Limit: a Unix time in seconds is at most this (year 3000). */
const SECONDS_MAX = 32_503_680_000;

/** Epoch seconds -> ms, refusing values that are plainly not seconds (ms or µs by mistake). */
function secondsToMs(s: number, field: string, where: string): number {
  if (s < 0 || s > SECONDS_MAX) fail('schema', where, `${field} ${s}: expected Unix seconds (1970..3000)`);
  return s * 1000;
}

/** Limit of the fast path: 15 digits are exact in a double (10^15 < 2^53). */
const PLAIN_DIGITS_MAX = 15;


/**
 * The fast path of parseKrakenOhlcvtLine: true, with the row's numbers in `row` (the layout of
 * core/market/gate.ts PLAIN_*, which CandleGate.passPlain reads), when all 7 fields
 * are in their plain form (1..15 digits for the time, at most SECONDS_MAX, and the count; each
 * decimal 1..15 digits with at most one point followed by a digit, no sign, no leading zero but
 * "0" or "0.x"; no spaces or exponents), parsed in one pass over the line without splitting or
 * calling out; false sends the row through the full checks, which name what is wrong. For such a
 * row the full path gives exactly the candle candleOfPlainRow makes (tested with fast-check).
 */
export function scanPlainKrakenOhlcvt(line: string, row: Float64Array): boolean {
  const n = line.length;
  let i = 0;
  let t = 0;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 44) break; // ','
    if (c < 48 || c > 57) return false;
    t = t * 10 + (c - 48);
  }
  if (i === 0 || i > PLAIN_DIGITS_MAX || i === n || t > SECONDS_MAX) return false;
  row[PLAIN_TIME] = t;
  // five decimals, each ended by a comma (the volume by the one before the count)
  for (let k = PLAIN_OPEN; k <= PLAIN_VOLUME; k += 2) {
    const start = ++i;
    if (i >= n) return false;
    let units = line.charCodeAt(i) - 48;
    if (units >>> 0 > 9) return false; // (>>> 0: a negative is above 9 too, one test)
    i++;
    if (units !== 0) {
      for (; i < n; i++) {
        const d = line.charCodeAt(i) - 48;
        if (d >>> 0 > 9) break;
        units = units * 10 + d;
      }
    } // else a leading zero: a digit after it is refused below, as "05" is
    let scale = 0;
    if (i < n && line.charCodeAt(i) === 46) { // '.'
      const point = ++i;
      for (; i < n; i++) {
        const d = line.charCodeAt(i) - 48;
        if (d >>> 0 > 9) break;
        units = units * 10 + d;
      }
      scale = i - point;
      if (scale === 0) return false; // "1." has no fractional digit
    }
    if (i >= n || line.charCodeAt(i) !== 44) return false; // anything else before the comma
    if (i - start - (scale > 0 ? 1 : 0) > PLAIN_DIGITS_MAX) return false;
    row[k] = units;
    row[k + 1] = scale;
  }
  const start = ++i;
  let count = 0;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    count = count * 10 + (c - 48);
  }
  if (i === start || i - start > PLAIN_DIGITS_MAX) return false;
  row[PLAIN_COUNT] = count;
  return true;
}

/**
 * scanPlainKrakenOhlcvt on the line held by bytes[start, end) (ASCII: a byte per character), read
 * in place: the same verdict and numbers as for that line as a string (tested with fast-check).
 * Reading bytes costs about half what reading a string's characters does (measured on the hourly
 * BTC/USD file), and no string is made for the line.
 */
export function scanPlainKrakenOhlcvtBytes(bytes: Uint8Array, start: number, end: number, row: Float64Array): boolean {
  let i = start;
  let t = 0;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c === 44) break; // ','
    if (c < 48 || c > 57) return false;
    t = t * 10 + (c - 48);
  }
  if (i === start || i - start > PLAIN_DIGITS_MAX || i === end || t > SECONDS_MAX) return false;
  row[PLAIN_TIME] = t;
  for (let k = PLAIN_OPEN; k <= PLAIN_VOLUME; k += 2) {
    const from = ++i;
    if (i >= end) return false;
    let units = bytes[i]! - 48;
    if (units >>> 0 > 9) return false;
    i++;
    if (units !== 0) {
      for (; i < end; i++) {
        const d = bytes[i]! - 48;
        if (d >>> 0 > 9) break;
        units = units * 10 + d;
      }
    }
    let scale = 0;
    if (i < end && bytes[i] === 46) {
      const point = ++i;
      for (; i < end; i++) {
        const d = bytes[i]! - 48;
        if (d >>> 0 > 9) break;
        units = units * 10 + d;
      }
      scale = i - point;
      if (scale === 0) return false;
    }
    if (i >= end || bytes[i] !== 44) return false;
    if (i - from - (scale > 0 ? 1 : 0) > PLAIN_DIGITS_MAX) return false;
    row[k] = units;
    row[k + 1] = scale;
  }
  const from = ++i;
  let count = 0;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c < 48 || c > 57) return false;
    count = count * 10 + (c - 48);
  }
  if (i === from || i - from > PLAIN_DIGITS_MAX) return false;
  row[PLAIN_COUNT] = count;
  return true;
}

/**
 * The candle of a row scanPlainKrakenOhlcvt accepted: the same as the full path's for that line.
 * A price equal to one before it in the row (same units and scale: the same Decimal) shares that
 * Decimal, which is immutable: fewer objects for a consumer that keeps candles (~9 % of the
 * decimals of the hourly BTC/USD file, every field of a flat candle).
 */
export function candleOfPlainRow(row: Float64Array, symbol: string, interval_s: number): MarketCandle {
  const oU = row[PLAIN_OPEN]!, oS = row[PLAIN_OPEN + 1]!;
  const hU = row[PLAIN_HIGH]!, hS = row[PLAIN_HIGH + 1]!;
  const lU = row[PLAIN_LOW]!, lS = row[PLAIN_LOW + 1]!;
  const cU = row[PLAIN_CLOSE]!, cS = row[PLAIN_CLOSE + 1]!;
  const open = Decimal.ofDigits(oU, oS);
  const high = hU === oU && hS === oS ? open : Decimal.ofDigits(hU, hS);
  const low = lU === oU && lS === oS ? open : lU === hU && lS === hS ? high : Decimal.ofDigits(lU, lS);
  const close = cU === oU && cS === oS ? open : cU === hU && cS === hS ? high : cU === lU && cS === lS ? low : Decimal.ofDigits(cU, cS);
  return {
    symbol, interval_s, open_time_ms: row[PLAIN_TIME]! * 1000, open, high, low, close,
    volume: Decimal.ofDigits(row[PLAIN_VOLUME]!, row[PLAIN_VOLUME + 1]!), vwap: null, count: row[PLAIN_COUNT]!,
  };
}

/** Scratch row of parseKrakenOhlcvtLine (one thread, and nothing keeps it across calls). */
const PLAIN_ROW = new Float64Array(PLAIN_ROW_LENGTH);

export function parseKrakenOhlcvtLine(line: string, where: string, symbol: string, interval_s: number): Parsed<MarketCandle> {
  if (scanPlainKrakenOhlcvt(line, PLAIN_ROW)) return { ok: true, value: candleOfPlainRow(PLAIN_ROW, symbol, interval_s) };
  return parseKrakenOhlcvtLineFull(line, where, symbol, interval_s);
}

/** parseKrakenOhlcvtLine without its fast path: every field through the full checks (the reference in tests). */
export function parseKrakenOhlcvtLineFull(line: string, where: string, symbol: string, interval_s: number): Parsed<MarketCandle> {
  return guard(() => {
    const f = line.split(',');
    if (f.length !== 7) fail('schema', where, `expected 7 comma-separated fields (time,open,high,low,close,volume,trades), got ${f.length}`);
    return {
      symbol, interval_s,
      open_time_ms: secondsToMs(intField(f[0], 'time', where), 'time', where),
      open: decimalField(f[1], 'open', where), high: decimalField(f[2], 'high', where), low: decimalField(f[3], 'low', where),
      close: decimalField(f[4], 'close', where), volume: decimalField(f[5], 'volume', where), vwap: null,
      count: intField(f[6], 'trades', where),
    };
  });
}

/** Column positions of a generic OHLCV CSV, from its header row. */
export interface OhlcvColumns {
  time: number; open: number; high: number; low: number; close: number; volume: number; count: number | null; vwap: number | null; n: number;
}

export function parseOhlcvHeader(line: string, where: string): Parsed<OhlcvColumns> {
  return guard(() => {
    const names = line.split(',').map((s) => s.trim().toLowerCase());
    const find = (alts: string[], required: boolean): number | null => {
      const at = names.flatMap((n, i) => (alts.includes(n) ? [i] : []));
      if (at.length === 0 && required) fail('schema', where, `header: no ${alts.join('|')} column (header is ${JSON.stringify(line)})`);
      // two columns for one field (open twice, or date and time: a split timestamp): which one is meant cannot be told
      if (at.length > 1) fail('schema', where, `header: columns ${at.map((i) => `${i + 1} (${JSON.stringify(names[i])})`).join(' and ')} both name the ${alts[0]} field; keep one (header is ${JSON.stringify(line)})`);
      return at.length === 0 ? null : at[0]!;
    };
    return {
      time: find(['open_time', 'time', 'timestamp', 'date', 'datetime'], true)!, open: find(['open'], true)!, high: find(['high'], true)!,
      low: find(['low'], true)!, close: find(['close'], true)!, volume: find(['volume', 'vol'], true)!,
      count: find(['trades', 'count', 'trade_count', 'number_of_trades'], false), vwap: find(['vwap'], false), n: names.length,
    };
  });
}

/** Time field: epoch seconds, epoch ms (13 digits) or ISO 8601 UTC. */
function timeField(text: string | undefined, where: string): number {
  const t = (text ?? '').trim();
  if (/^\d{1,11}$/.test(t)) return secondsToMs(Number(t), 'time', where);
  if (/^\d{12,14}$/.test(t)) return Number(t);
  const ms = parseIsoUtcMs(t);
  if (ms === null) fail('schema', where, `time ${JSON.stringify(t)}: expected Unix seconds, Unix ms or an ISO 8601 UTC time`);
  return ms;
}

export function parseOhlcvLine(line: string, where: string, cols: OhlcvColumns, symbol: string, interval_s: number): Parsed<MarketCandle> {
  return guard(() => {
    const f = line.split(',');
    if (f.length !== cols.n) fail('schema', where, `expected ${cols.n} fields as in the header, got ${f.length}`);
    return {
      symbol, interval_s, open_time_ms: timeField(f[cols.time], where),
      open: decimalField(f[cols.open], 'open', where), high: decimalField(f[cols.high], 'high', where),
      low: decimalField(f[cols.low], 'low', where), close: decimalField(f[cols.close], 'close', where),
      volume: decimalField(f[cols.volume], 'volume', where),
      vwap: cols.vwap === null ? null : decimalField(f[cols.vwap], 'vwap', where),
      count: cols.count === null ? (decimalField(f[cols.volume], 'volume', where).isZero() ? 0 : null) : intField(f[cols.count], 'trades', where),
    };
  });
}

/** "1762795433.9717445" (seconds, optional fraction) -> integer microseconds (truncated). */
export function secondsTextToUs(text: string, where: string): number {
  const m = /^(\d{1,11})(?:\.(\d{1,12}))?$/.exec(text.trim());
  if (!m) fail(NON_FINITE_RE.test(text.trim()) ? 'finite' : 'schema', where, `time ${JSON.stringify(text)}: expected Unix seconds with an optional fraction`);
  return Number(m[1]) * 1_000_000 + Number(((m[2] ?? '') + '000000').slice(0, 6));
}

export function parseKrakenTradeLine(line: string, where: string): Parsed<Trade> {
  return guard(() => {
    const f = line.split(',');
    if (f.length !== 3) fail('schema', where, `expected 3 comma-separated fields (time,price,volume), got ${f.length}`);
    return { time_us: secondsTextToUs(f[0]!, where), price: decimalField(f[1], 'price', where), volume: decimalField(f[2], 'volume', where) };
  });
}

/** A JSON number as the text it was written with (shortest round-trip form; exact for Kraken's times). */
function numText(v: unknown, field: string, where: string): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail('finite', where, `${field}: not a finite number`);
    const s = String(v);
    if (/e/i.test(s)) fail('schema', where, `${field}: ${s} is out of range`);
    return s;
  }
  if (typeof v === 'string') return v;
  return fail('schema', where, `${field}: expected a number, got ${JSON.stringify(v)}`);
}

export function parseRestOhlcRow(row: unknown, where: string, symbol: string, interval_s: number): Parsed<MarketCandle> {
  return guard(() => {
    if (!Array.isArray(row) || row.length !== 8) fail('schema', where, 'expected [time, open, high, low, close, vwap, volume, count]');
    const str = (i: number, field: string) => {
      if (typeof row[i] !== 'string') fail('schema', where, `${field}: expected a decimal string, got ${JSON.stringify(row[i])}`);
      return decimalField(row[i] as string, field, where);
    };
    return {
      symbol, interval_s, open_time_ms: secondsToMs(intField(numText(row[0], 'time', where), 'time', where), 'time', where),
      open: str(1, 'open'), high: str(2, 'high'), low: str(3, 'low'), close: str(4, 'close'), vwap: str(5, 'vwap'), volume: str(6, 'volume'),
      count: intField(numText(row[7], 'count', where), 'count', where),
    };
  });
}

export function parseRestTradeRow(row: unknown, where: string): Parsed<Trade> {
  return guard(() => {
    if (!Array.isArray(row) || (row.length !== 6 && row.length !== 7)) fail('schema', where, 'expected [price, volume, time, side, type, misc] or the same with a trade id');
    if (typeof row[0] !== 'string' || typeof row[1] !== 'string') fail('schema', where, 'price and volume must be decimal strings');
    return { time_us: secondsTextToUs(numText(row[2], 'time', where), where), price: decimalField(row[0], 'price', where), volume: decimalField(row[1], 'volume', where) };
  });
}
