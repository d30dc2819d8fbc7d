/**
 * The live quick start's set-up, on a store it opens and closes before the runtime takes it:
 * migrate, then ingest through the gate the one warm-up week before the replay window, one batch
 * per series (idempotent: what the store holds is not offered again, so a second start ingests
 * nothing). Refuses a store that already holds older candles of the demo's series while the demo
 * book has not started (e.g. after `warden quickstart --backtest`): the new book would first trade
 * years of history, which is not the demo; it names a fresh store to use instead.
 */
import { basename } from 'node:path';
import type { Candle } from '../core/market/candle.js';
import { formatUtc } from '../core/market/time.js';
import { EXIT } from '../exit-codes.js';
import { readGatedCandles } from '../ingest/gated-reader.js';
import { CandleStore } from '../store/candle-store.js';
import type { Db } from '../store/db.js';
import { DEMO_BOOK_ID, DEMO_FILES, DEMO_WARMUP_DAYS, dayMs } from './demo.js';

export class QuickstartError extends Error {
  override readonly name = 'QuickstartError';
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export interface PreparedSeries {
  symbol: string;
  file: string;
  /** Candles ingested now (0: the store held them already). */
  accepted: number;
}

export interface Prepared {
  schema_version: number;
  migrated: number[];
  ingested: PreparedSeries[];
  /** Events already in book:demo (0 on the first start). */
  book_events: number;
  engine: Db['engine'];
}

/** Migrates `db` and ingests the warm-up before `from` (a UTC date); `store` names the store in messages. */
export async function prepareDemoStore(db: Db, from: string): Promise<Prepared> {
  const { migrate, verifySchema } = await import('../store/migrations.js');
  const applied = await migrate(db);
  const schema_version = await verifySchema(db);
  const { EventStore } = await import('../store/event-store.js');
  const book_events = (await new EventStore(db).head(`book:${DEMO_BOOK_ID}`))?.seq ?? 0;
  const candles = new CandleStore(db);
  const replayFrom = dayMs(from);
  const warmFrom = replayFrom - DEMO_WARMUP_DAYS * 86_400_000;
  const heads = [];
  for (const f of DEMO_FILES) heads.push(await candles.seriesHead(f.symbol, f.interval_s));
  // every series is checked before anything is ingested: a refusal writes nothing
  for (const [i, f] of DEMO_FILES.entries()) {
    const head = heads[i]!;
    if (head !== null && book_events === 0 && head.first_open_ms < warmFrom) {
      throw new QuickstartError(
        `${db.description} already holds ${f.symbol} candles from ${formatUtc(head.first_open_ms)} (e.g. from \`warden quickstart --backtest\`), ` +
        `and the demo book has not started: it would first trade all that history instead of replaying from ${from}. ` +
        'Start the live demo on a store of its own, e.g. WARDEN_DATABASE_URL=pglite:./var/live.pglite npm start',
        EXIT.config,
      );
    }
  }
  const ingested: PreparedSeries[] = [];
  for (const [i, f] of DEMO_FILES.entries()) {
    const head = heads[i]!;
    const start = head === null ? warmFrom : Math.max(warmFrom, head.last_open_ms + f.interval_s * 1000);
    const rows: { candle: Candle; raw: string; where: string }[] = [];
    if (start < replayFrom) {
      for await (const batch of readGatedCandles(f.file, { symbol: f.symbol, interval_s: f.interval_s, from_ms: start, to_ms: replayFrom })) {
        for (const c of batch) {
          rows.push({ candle: c, raw: `${c.open_time_ms / 1000},${c.open},${c.high},${c.low},${c.close},${c.volume},${c.count}`, where: `${basename(f.file)} ${formatUtc(c.open_time_ms)}` });
        }
      }
    }
    let accepted = 0;
    if (rows.length > 0) {
      const { gateRows } = await import('../feeds/gate-write.js');
      accepted = (await gateRows(db, `quickstart warm-up ${basename(f.file)}`, 'quickstart', f.symbol, f.interval_s, rows)).accepted;
    }
    ingested.push({ symbol: f.symbol, file: basename(f.file), accepted });
  }
  return { schema_version, migrated: applied.map((m) => m.version), ingested, book_events, engine: db.engine };
}
