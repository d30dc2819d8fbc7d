/**
 * The ONE rule that turns candle series into ticks, for the paper runtime and the backtest alike.
 * A tick is the close time T and the candles of the book's symbols that closed at T (a symbol with
 * no candle at T simply has none: Kraken's CSV omits no-trade hours). Tick T is released only when
 * every symbol of the book has a candle closing at or after T, or has ended (a finite source that
 * has nothing more: a backtest's file or range). A live series never ends, so the runtime waits for
 * every symbol; once the book's lateness is exceeded the runtime forces the tick (forceNext) with
 * the symbols it waited on SKIPPED, and records that decision in the tick command (never re-made).
 *
 * Incremental and bounded: readers push batches per symbol; take() releases the ticks up to the
 * watermark and drops them; needs() names the symbols the watermark waits on, so a reader fetches
 * only those. Memory is about one batch per symbol.
 */
import { closeTimeMs, type Candle } from '../market/candle.js';

export interface Tick {
  readonly time_ms: number;
  readonly candles: readonly Candle[];
}

export class TickError extends Error {
  override readonly name = 'TickError';
}

interface Series {
  queue: Candle[];
  /** closes[i] = closeTimeMs(queue[i]), computed once as the candle is pushed. */
  closes: number[];
  head: number;
  /** Close time of the newest candle pushed (or the start point). */
  top: number;
  ended: boolean;
}

export class TickAssembler {
  private readonly series = new Map<string, Series>();
  /** The same series in symbol order, iterated per tick without a Map iterator. */
  private readonly list: Series[] = [];

  /** `afterMs`: ticks at or before it were processed already (null: none); their candles are skipped. */
  constructor(readonly symbols: readonly string[], readonly interval_s: number, private readonly afterMs: number | null) {
    for (const s of symbols) {
      const series: Series = { queue: [], closes: [], head: 0, top: afterMs ?? Number.MIN_SAFE_INTEGER, ended: false };
      this.series.set(s, series);
      this.list.push(series);
    }
  }

  private get(symbol: string): Series {
    const s = this.series.get(symbol);
    if (s === undefined) throw new TickError(`candle for ${symbol}, which the book does not trade (${this.symbols.join(', ')})`);
    return s;
  }

  /** Appends a symbol's next candles (oldest first, after everything pushed before). */
  push(symbol: string, candles: readonly Candle[]): void {
    const s = this.get(symbol);
    if (s.ended) throw new TickError(`${symbol}: candles pushed after its end`);
    for (const c of candles) {
      if (c.symbol !== symbol) throw new TickError(`a ${c.symbol} candle in the ${symbol} series`);
      if (c.interval_s !== this.interval_s) throw new TickError(`${symbol}: interval ${c.interval_s}s, the book runs ${this.interval_s}s`);
      const t = closeTimeMs(c);
      if (this.afterMs !== null && t <= this.afterMs) continue;
      if (t <= s.top) throw new TickError(`${symbol}: candle opening at ${c.open_time_ms} ms is not after the previous one`);
      s.queue.push(c);
      s.closes.push(t);
      s.top = t;
    }
  }

  /** The symbol's source has nothing more: it no longer holds ticks back. */
  end(symbol: string): void {
    this.get(symbol).ended = true;
  }

  /** Every symbol ended and every tick released. */
  get done(): boolean {
    for (const s of this.list) if (!s.ended || s.head < s.queue.length) return false;
    return true;
  }

  private watermark(): number {
    let w = Number.MAX_SAFE_INTEGER;
    for (const s of this.list) if (!s.ended && s.top < w) w = s.top;
    return w;
  }

  /** Symbols that hold the watermark back (not ended, nothing buffered beyond it): fetch these next. */
  needs(): string[] {
    const w = this.watermark();
    const out: string[] = [];
    for (const [sym, s] of this.series) if (!s.ended && s.top <= w) out.push(sym);
    return out;
  }

  /**
   * Releases the next tick every symbol has reached, or null. A driver that steps each tick as it
   * comes (the backtest) holds one tick at a time instead of a batch's worth of them.
   */
  next(): Tick | null {
    let t = Number.MAX_SAFE_INTEGER;
    let n = 0;
    for (const s of this.list) {
      if (s.head >= s.queue.length) continue;
      const ct = s.closes[s.head] as number;
      if (ct < t) {
        t = ct;
        n = 1;
      } else if (ct === t) n++;
    }
    if (t === Number.MAX_SAFE_INTEGER || t > this.watermark()) return null;
    const candles: Candle[] = new Array<Candle>(n); // exact size: a push-grown array reserves 17 slots
    let i = 0;
    for (const s of this.list) {
      if (s.head < s.queue.length && s.closes[s.head] === t) {
        candles[i++] = s.queue[s.head] as Candle;
        s.head += 1;
        if (s.head === s.queue.length) {
          s.queue = []; // all released: the next push starts a new batch
          s.closes = [];
          s.head = 0;
        } else if (s.head > 4096) {
          s.queue = s.queue.slice(s.head); // drop released candles (memory: about one batch per symbol)
          s.closes = s.closes.slice(s.head);
          s.head = 0;
        }
      }
    }
    return { time_ms: t, candles };
  }

  /**
   * The earliest buffered tick that waits on some symbols (next() returns null), with the symbols it
   * waits on (not ended, nothing at or after T), or null.
   */
  partial(): { time_ms: number; missing: string[] } | null {
    let t = Number.MAX_SAFE_INTEGER;
    for (const s of this.list) if (s.head < s.queue.length && (s.closes[s.head] as number) < t) t = s.closes[s.head] as number;
    if (t === Number.MAX_SAFE_INTEGER || t <= this.watermark()) return null;
    const missing: string[] = [];
    for (const [sym, s] of this.series) if (!s.ended && s.top < t) missing.push(sym);
    return { time_ms: t, missing: missing.sort() };
  }

  /** Releases the partial() tick with the symbols it waits on skipped (the runtime's late-data decision); null when there is none. */
  forceNext(): (Tick & { skipped: string[] }) | null {
    const p = this.partial();
    if (p === null) return null;
    for (const sym of p.missing) (this.series.get(sym) as Series).top = p.time_ms; // waits no more for T; a later candle of it is late
    const t = this.next();
    if (t === null || t.time_ms !== p.time_ms) throw new TickError(`forced tick ${p.time_ms} was not released`);
    return { ...t, skipped: p.missing };
  }

  /** Releases the ticks every symbol has reached, oldest first. */
  take(): Tick[] {
    const ticks: Tick[] = [];
    for (let t = this.next(); t !== null; t = this.next()) ticks.push(t);
    return ticks;
  }
}

/** All ticks of finite, complete candle lists (tests and tools): the same rule, every series ended. */
export function ticksOf(symbols: readonly string[], interval_s: number, candles: readonly Candle[]): Tick[] {
  const a = new TickAssembler(symbols, interval_s, null);
  const by = new Map<string, Candle[]>(symbols.map((s) => [s, []]));
  for (const c of candles) {
    const list = by.get(c.symbol);
    if (list === undefined) throw new TickError(`candle for ${c.symbol}, which the book does not trade (${symbols.join(', ')})`);
    list.push(c);
  }
  for (const [s, list] of by) {
    a.push(s, [...list].sort((x, y) => x.open_time_ms - y.open_time_ms));
    a.end(s);
  }
  return a.take();
}
