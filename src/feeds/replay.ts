/**
 * Replay feed: releases candles that already exist (Kraken CSV files, or the candles of another
 * store) at a chosen pace, bars_per_second, through the SAME gate path as a live feed, so the
 * runtime sees them arrive as it would live: for demos (npm start) and drills.
 *
 * Sources are merged by open time; each step releases every source's candle of that open time,
 * one gate batch per symbol. A replay resumes: each source starts after the candles the target
 * store already holds for its series (a restart neither repeats nor skips a bar). It ends (done)
 * when every source is exhausted. Its lag is how far behind its schedule the last step was
 * released (0 on pace), not the age of the data, which is old on purpose.
 */
import { basename } from 'node:path';
import type { Candle } from '../core/market/candle.js';
import { formatUtc } from '../core/market/time.js';
import { readGatedCandles } from '../ingest/gated-reader.js';
import { CandleStore } from '../store/candle-store.js';
import type { Db } from '../store/db.js';
import { Feed, type FeedContext, type FeedStatus } from './feed.js';
import { gateRows } from './gate-write.js';

export type ReplaySource =
  | { file: string; symbol: string; interval_s: number }
  | { db: Db; label: string; symbol: string; interval_s: number };

export interface ReplayOptions {
  sources: ReplaySource[];
  bars_per_second: number;
  /** Open-time window [from_ms, to_ms); null = all. */
  from_ms: number | null;
  to_ms: number | null;
}

/** Limit: the fastest pace (a step is a transaction per symbol). */
export const REPLAY_BARS_PER_SECOND_MAX = 1_000;

type Cursor = { src: ReplaySource; it: AsyncIterator<Candle[]>; buf: Candle[]; i: number; done: boolean };

export class ReplayFeed extends Feed {
  readonly kind = 'replay' as const;
  private behind_ms = 0;
  released = 0;

  constructor(name: string, ctx: FeedContext, readonly opts: ReplayOptions) {
    super(name, ctx);
    if (!(opts.bars_per_second > 0 && opts.bars_per_second <= REPLAY_BARS_PER_SECOND_MAX)) {
      throw new RangeError(`bars_per_second ${opts.bars_per_second}: expected more than 0 and at most ${REPLAY_BARS_PER_SECOND_MAX}`);
    }
    if (opts.sources.length === 0) throw new RangeError('a replay needs at least one source');
  }

  override status(): FeedStatus {
    return { ...super.status(), lag_ms: this.released === 0 ? null : this.behind_ms };
  }

  private async open(src: ReplaySource): Promise<Cursor> {
    const store = new CandleStore(this.db);
    const head = await store.seriesHead(src.symbol, src.interval_s);
    this.noteCtt(head?.ctt_ms ?? null);
    const from = Math.max(this.opts.from_ms ?? 0, head ? head.last_open_ms + src.interval_s * 1000 : 0);
    const to = this.opts.to_ms ?? Number.MAX_SAFE_INTEGER;
    const it = 'file' in src
      ? readGatedCandles(src.file, { symbol: src.symbol, interval_s: src.interval_s, from_ms: from, to_ms: to })
      : (async function* () {
          for await (const b of new CandleStore(src.db).iterateCandles(src.symbol, src.interval_s, from, to, 1000)) yield b as Candle[];
        })();
    return { src, it: it as AsyncIterator<Candle[]>, buf: [], i: 0, done: false };
  }

  private static async peek(c: Cursor): Promise<Candle | null> {
    while (!c.done && c.i >= c.buf.length) {
      const n = await c.it.next();
      if (n.done) c.done = true;
      else [c.buf, c.i] = [n.value, 0];
    }
    return c.done ? null : c.buf[c.i]!;
  }

  protected async loop(signal: AbortSignal): Promise<void> {
    const cursors: Cursor[] = [];
    for (const s of this.opts.sources) cursors.push(await this.open(s));
    this.setState('running');
    const step_ms = 1000 / this.opts.bars_per_second;
    let due: number | null = null; // when the next step is due; the schedule starts at the first bar
    while (!signal.aborted) {
      const heads = await Promise.all(cursors.map((c) => ReplayFeed.peek(c)));
      const next = Math.min(...heads.map((h) => (h === null ? Infinity : h.open_time_ms)));
      if (next === Infinity) return;
      due ??= this.clock.now();
      const wait = due - this.clock.now();
      if (!(await this.clock.sleep(Math.max(0, wait), signal))) return;
      const now = this.clock.now();
      this.behind_ms = Math.max(0, Math.round(now - due));
      // Behind by more than a second (a slow store): the debt is dropped, never paid in a burst.
      due = Math.max(due, now - 1000) + step_ms;
      for (let j = 0; j < cursors.length; j++) {
        const c = cursors[j]!;
        const h = heads[j];
        if (!h || h.open_time_ms !== next) continue;
        const where = `${'file' in c.src ? basename(c.src.file) : c.src.label} ${formatUtc(h.open_time_ms)}`;
        const raw = `${h.open_time_ms / 1000},${h.open},${h.high},${h.low},${h.close},${h.volume},${h.count}`;
        const report = await gateRows(this.db, `${this.name} replay ${where}`, 'replay', h.symbol, h.interval_s, [{ candle: h, raw, where }]);
        this.noteBatch(report, {}, 'debug'); // one line per bar would drown the log: feed_status says how far it is
        c.i++;
      }
      this.released++;
    }
  }
}
