/**
 * The recorded inputs of a book, read back for re-execution: the store's accepted candles (what
 * the runtime's market loop fed as `market.tick`) and the append-only operator inbox (what it fed
 * as `operator.command`). Everything else a step needs (runtime start/stop times, owner, lease
 * epoch) was recorded in the event that step wrote and is taken from there (see steps.ts).
 *
 * Reads are batched and forward-only, as re-execution walks a stream oldest first: candles are
 * prefetched per symbol (CANDLE_PREFETCH rows at a time) and dropped once passed, so memory stays
 * bounded over millions of ticks.
 */
import type { Candle } from '../core/market/candle.js';
import { CandleStore, toKernelCandle } from '../store/candle-store.js';
import type { Db } from '../store/db.js';
import { EventStore, type InboxCommand } from '../store/event-store.js';

export const CANDLE_PREFETCH = 2000;
export const INBOX_PREFETCH = 100;

export interface ReplayInputs {
  /**
   * The stored candles of `symbols` whose bar closes exactly at time_ms, in the order of
   * `symbols` (the order the runtime's market loop builds a tick in); a symbol without a candle
   * closing then is absent, as it was for the runtime.
   */
  candlesClosingAt(symbols: readonly string[], interval_s: number, time_ms: number): Promise<Candle[]>;
  /** The inbox row `id` of `stream`, or null when there is none. */
  inboxCommand(stream: string, id: number): Promise<InboxCommand | null>;
}

/** A symbol's candles from some open time on, oldest first: the read-ahead buffer of one series. */
interface Series {
  /** The last open time asked for: the buffer answers any open time at or after it. */
  asked_open_ms: number;
  buf: Candle[];
  /** Where the next read starts (one past the last candle read). */
  next_open_ms: number;
  /** The last read came back short: nothing is stored after the buffer. */
  exhausted: boolean;
}

export function storeInputs(db: Db): ReplayInputs {
  const candles = new CandleStore(db);
  const events = new EventStore(db);
  const series = new Map<string, Series>();
  let inbox: { stream: string; rows: InboxCommand[] } = { stream: '', rows: [] };

  async function closingAt(symbol: string, interval_s: number, time_ms: number): Promise<Candle | null> {
    const openMs = time_ms - interval_s * 1000;
    const key = `${symbol}\u0000${interval_s}`;
    let s = series.get(key);
    // Forward-only; a jump back (a window replayed again) starts the series over. A gap (no candle
    // for some hours) is not a jump back: the buffer's next candle simply opens later.
    if (s === undefined || openMs < s.asked_open_ms) {
      s = { asked_open_ms: openMs, buf: [], next_open_ms: openMs, exhausted: false };
      series.set(key, s);
    }
    s.asked_open_ms = openMs;
    for (;;) {
      while (s.buf.length > 0 && s.buf[0]!.open_time_ms < openMs) s.buf.shift();
      if (s.buf.length > 0) return s.buf[0]!.open_time_ms === openMs ? s.buf[0]! : null;
      if (s.exhausted) return null;
      let got: Candle[] = [];
      for await (const batch of candles.iterateCandles(symbol, interval_s, Math.max(openMs, s.next_open_ms), Number.MAX_SAFE_INTEGER, CANDLE_PREFETCH)) {
        got = batch.map(toKernelCandle);
        break;
      }
      s.buf = got;
      s.exhausted = got.length < CANDLE_PREFETCH;
      if (got.length > 0) s.next_open_ms = got[got.length - 1]!.open_time_ms + 1;
    }
  }

  return {
    async candlesClosingAt(symbols, interval_s, time_ms) {
      const out: Candle[] = [];
      for (const symbol of symbols) {
        const c = await closingAt(symbol, interval_s, time_ms);
        if (c !== null) out.push(c);
      }
      return out;
    },
    async inboxCommand(stream, id) {
      let hit = inbox.stream === stream ? inbox.rows.find((r) => r.id === id) : undefined;
      if (hit === undefined) {
        inbox = { stream, rows: await events.inboxRead(stream, id - 1, INBOX_PREFETCH) };
        hit = inbox.rows.find((r) => r.id === id);
      }
      return hit ?? null;
    },
  };
}
