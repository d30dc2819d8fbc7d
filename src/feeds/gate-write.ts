/**
 * The feeds' two doors into the ingestion gate (src/ingest/ingest.ts ingestSource, the path of
 * `warden ingest`): a Kraken REST payload as received (parsed, gated and held back exactly like
 * `warden ingest payload.json`: the still-open last candle is never taken), or candles a feed
 * built itself (WS trades, replay), each with the raw text it came from (stored in raw_rows).
 * A batch is one transaction: all of it or, refused, only its rejection record.
 */
import { createHash } from 'node:crypto';
import type { MarketCandle } from '../core/market/candle.js';
import type { Db } from '../store/db.js';
import { BatchRejectedError } from '../ingest/errors.js';
import { ingestSource, type IngestOptions, type IngestReport, type Item } from '../ingest/ingest.js';
import { FeedFailedError } from './feed.js';

export interface FeedRow {
  candle: MarketCandle;
  /** The source text the candle was made from (a CSV line, the trades of the minute as JSON). */
  raw: string;
  /** Where, for violations: "feed ws-btc trade minute 2025-11-10T17:24:00Z". */
  where: string;
}

/** Gates a REST payload (already decoded) as `warden ingest` gates the same bytes in a file. */
export async function gatePayload(db: Db, name: string, body: Buffer, payload: { pair: string; rows: unknown[] }, format: 'kraken-rest-ohlc', opts: IngestOptions): Promise<IngestReport> {
  const sha256 = createHash('sha256').update(body).digest('hex');
  return refusalFails(ingestSource(db, { file: name, format, payload, sha256, total_bytes: body.length }, opts));
}

/** Gates candles a feed built, in time order, as one batch of `symbol` at `interval_s`. */
export async function gateRows(db: Db, name: string, format: string, symbol: string, interval_s: number, rows: readonly FeedRow[], opts: IngestOptions = {}): Promise<IngestReport> {
  const h = createHash('sha256');
  for (const r of rows) h.update(r.raw).update('\n');
  const items: Item[] = rows.map((r, i) => ({ kind: 'candle', line: i + 1, where: r.where, raw: r.raw, parsed: { ok: true, value: r.candle } }));
  return refusalFails(ingestSource(db, { file: name, format, rows: items, sha256: h.digest('hex'), total_bytes: 0 }, { ...opts, symbol, interval_s }));
}

async function refusalFails(p: Promise<IngestReport>): Promise<IngestReport> {
  try {
    return await p;
  } catch (e) {
    if (!(e instanceof BatchRejectedError)) throw e;
    throw Object.assign(new FeedFailedError(`the gate ${e.report.status} a batch (record ${e.report.batch_id}; nothing written): ${e.message}`), { report: e.report });
  }
}
