/**
 * Kraken WebSocket v2 `trade` messages and REST Trades rows -> trades with their ids, exactly.
 * WS v2 writes prices and quantities as JSON NUMBERS; JSON.parse would turn them into binary
 * floats, so the digits of "price" and "qty" are quoted in the message text before parsing and
 * read as exact decimals (the text Kraken sent, not a float's rounding of it).
 *   {"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":105944.2,
 *    "qty":0.00027625,"ord_type":"limit","trade_id":10218208,"timestamp":"2023-10-06T17:35:55.440295Z"}]}
 */
import { Decimal, expandExponent } from '../core/money/decimal.js';
import type { Trade } from '../core/market/aggregate.js';
import { parseIsoUtcMs } from '../core/market/time.js';
import { secondsTextToUs } from '../ingest/parsers.js';

export interface IdTrade extends Trade {
  readonly id: number;
  /** The source text of the trade (stored with the candle it makes, in raw_rows). */
  readonly raw: string;
}

export class TradeMessageError extends Error {
  override name = 'TradeMessageError';
}

const NUMBER_FIELDS_RE = /"(price|qty)"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
const ISO_FRACTION_RE = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/** RFC 3339 UTC with up to nanosecond digits -> integer microseconds (truncated). */
export function isoToUs(text: string): number {
  const m = ISO_FRACTION_RE.exec(text);
  const ms = m ? parseIsoUtcMs(`${m[1]}Z`) : null;
  if (!m || ms === null) throw new TradeMessageError(`timestamp ${JSON.stringify(text)}: expected RFC 3339 UTC (2025-11-10T17:23:53.971744Z)`);
  return ms * 1000 + Number(((m[2] ?? '') + '000000').slice(0, 6));
}

function decimal(v: unknown, field: string): Decimal {
  if (typeof v !== 'string') throw new TradeMessageError(`${field}: expected a number, got ${JSON.stringify(v)}`);
  try {
    return Decimal.parse(expandExponent(v) ?? v, field);
  } catch (e) {
    throw new TradeMessageError((e as Error).message);
  }
}

export type WsMessage =
  | { kind: 'trades'; symbol: string; trades: IdTrade[] }
  | { kind: 'subscribed'; ok: boolean; error: string | null }
  | { kind: 'other' };

/** Parses one WS v2 message; throws TradeMessageError when a trade message is malformed. */
export function parseWsMessage(text: string, symbol: string): WsMessage {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text.replace(NUMBER_FIELDS_RE, '"$1":"$2"')) as Record<string, unknown>;
  } catch (e) {
    throw new TradeMessageError(`not JSON: ${(e as Error).message}`);
  }
  if (doc?.method === 'subscribe') return { kind: 'subscribed', ok: doc.success === true, error: typeof doc.error === 'string' ? doc.error : null };
  if (doc?.channel !== 'trade') return { kind: 'other' };
  if (!Array.isArray(doc.data)) throw new TradeMessageError('trade message without a data array');
  const trades: IdTrade[] = [];
  for (const d of doc.data as Array<Record<string, unknown>>) {
    if (d?.symbol !== symbol) throw new TradeMessageError(`trade for ${JSON.stringify(d?.symbol)}; subscribed to ${symbol}`);
    if (!Number.isSafeInteger(d.trade_id)) throw new TradeMessageError(`trade_id ${JSON.stringify(d.trade_id)}: expected an integer`);
    if (typeof d.timestamp !== 'string') throw new TradeMessageError('trade without a timestamp');
    trades.push({ id: d.trade_id as number, time_us: isoToUs(d.timestamp), price: decimal(d.price, 'price'), volume: decimal(d.qty, 'qty'), raw: JSON.stringify(d) });
  }
  return { kind: 'trades', symbol, trades };
}

/** A REST Trades row with its id: [price, volume, time, side, type, misc, id]. */
export function parseRestTradeWithId(row: unknown, where: string): IdTrade {
  if (!Array.isArray(row) || row.length !== 7 || typeof row[0] !== 'string' || typeof row[1] !== 'string' || !Number.isSafeInteger(row[6])) {
    throw new TradeMessageError(`${where}: expected [price, volume, time, side, type, misc, trade_id] (a trade id is needed to join the WS stream)`);
  }
  const time = typeof row[2] === 'number' ? String(row[2]) : String(row[2]);
  let time_us: number;
  try {
    time_us = secondsTextToUs(time, where);
  } catch (e) {
    throw new TradeMessageError(`${where}: ${(e as Error).message}`);
  }
  return { id: row[6] as number, time_us, price: decimal(row[0], 'price'), volume: decimal(row[1], 'volume'), raw: JSON.stringify(row) };
}
