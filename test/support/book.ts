/**
 * Test helper (not a test): drives the one book decider in memory the way the drivers do
 * (runtime.start, one market.tick per tick by the tick rule of core/book/ticks.ts, operator
 * commands), and keeps every event typed and encoded, for kernel-level tests; given/when/then
 * over the decider; and the backtest driver over in-memory candles with its events collected.
 */
import assert from 'node:assert/strict';
import { arrayReader, runBacktest, type BacktestRun } from '../../src/backtest/run.js';
import { encodingSink } from '../../src/backtest/sinks.js';
import {
  bookKernel, encodeEvent, resolveBook, ticksOf, type BookConfigInput, type BookEvent, type BookKernel, type BookState, type EventType, type ResolvedBook, type RuntimeCommand,
} from '../../src/core/book/index.js';
import { fold } from '../../src/core/decider/index.js';
import type { CanonicalValue } from '../../src/core/canonical/index.js';
import type { NewEvent } from '../../src/core/events/index.js';
import type { Candle } from '../../src/core/market/candle.js';
import { Decimal } from '../../src/core/money/decimal.js';

export const H = 3_600_000;
export const T0 = Date.UTC(2024, 0, 1);

/** Hourly BTC/USD candles from T0 with these closes (open = close unless given; high/low +-10; volume 1000, count 100). */
export function candlesOf(closes: readonly number[], opts: { open?: (i: number, c: number) => number; volume?: string; symbol?: string } = {}): Candle[] {
  return closes.map((c, i) => {
    const o = opts.open?.(i, c) ?? c;
    return {
      symbol: opts.symbol ?? 'BTC/USD', interval_s: 3600, open_time_ms: T0 + i * H, open: Decimal.parse(String(o)), high: Decimal.parse(String(Math.max(o, c) + 10)),
      low: Decimal.parse(String(Math.min(o, c) - 10)), close: Decimal.parse(String(c)), volume: Decimal.parse(opts.volume ?? '1000'), vwap: null, count: 100,
    };
  });
}

export type StartCommand = Extract<RuntimeCommand, { kind: 'runtime.start' }>;
export const startCommand = (book_id: string, time_ms: number): StartCommand =>
  ({ kind: 'runtime.start', time_ms, book_id, execution_plane: 'PAPER', owner: 'test:1', lease_epoch: 1 });

/** A book run in memory, step by step; `events` holds every typed event, `encoded` their stored form. */
export class BookHarness {
  readonly kernel: BookKernel;
  state: BookState;
  readonly events: BookEvent[] = [];
  private inbox = 0;

  constructor(config: BookConfigInput | null, readonly book_id = (config as { book_id?: string } | null)?.book_id ?? 'main') {
    this.kernel = bookKernel(config === null ? null : resolveBook(config));
    this.state = this.kernel.decider.initialState();
  }

  get encoded(): NewEvent[] {
    return this.events.map(encodeEvent);
  }

  /** Applies one command in place; returns its events. */
  apply(c: RuntimeCommand): BookEvent[] {
    const out = this.kernel.decider.step(c, this.state);
    this.events.push(...out);
    return out;
  }

  start(time_ms = T0 - H): BookEvent[] {
    return this.apply(startCommand(this.book_id, time_ms));
  }

  tick(candles: readonly Candle[]): BookEvent[] {
    const t = candles[0]!.open_time_ms + candles[0]!.interval_s * 1000;
    return this.apply({ kind: 'market.tick', time_ms: t, candles });
  }

  /** All candles, tick by tick (the tick rule: grouped by close time). */
  ticks(candles: readonly Candle[]): BookEvent[] {
    const out: BookEvent[] = [];
    const k = this.kernel;
    for (const t of ticksOf(k.market!.symbols, k.market!.interval_s, candles)) out.push(...this.apply({ kind: 'market.tick', time_ms: t.time_ms, candles: t.candles }));
    return out;
  }

  /** The next operator command (inbox ids 1, 2, ...); opCommand builds one with a given inbox id. */
  op(command: string, payload: CanonicalValue = { reason: 'test' }, time_ms = this.state.time_ms + 1): BookEvent[] {
    this.inbox += 1;
    return this.apply(opCommand(this.inbox, command, payload, time_ms));
  }

  stop(time_ms = this.state.time_ms, reason = 'test'): BookEvent[] {
    return this.apply({ kind: 'runtime.stop', time_ms, reason });
  }

  stateHash(): string {
    return this.kernel.stateHash(this.state);
  }
}

export const opCommand = (inbox_id: number, command: string, payload: CanonicalValue = { reason: 'test' }, time_ms = T0): RuntimeCommand =>
  ({ kind: 'operator.command', time_ms, inbox_id, command, payload, issued_by: 'test' });

/**
 * given(kernel, events).when(command).then(types): the decider's decide on the fold of `events`
 * (the given state is not changed by deciding); then() asserts the step's event types and returns its events.
 */
export function given(kernel: BookKernel, events: readonly BookEvent[] = []) {
  const state = fold(kernel.decider, events);
  return {
    state,
    when(command: RuntimeCommand) {
      const out = kernel.decider.decide(command, state);
      return {
        events: out,
        then(types: readonly EventType[]): readonly BookEvent[] {
          assert.deepEqual(out.map((e) => e.type), types);
          return out;
        },
      };
    },
  };
}

/** A whole run over candles (start, every tick) in memory: the harness after it. */
export function runBook(config: BookConfigInput, candles: readonly Candle[]): BookHarness {
  const h = new BookHarness(config);
  const first = Math.min(...candles.map((c) => c.open_time_ms));
  h.start(first);
  h.ticks(candles);
  return h;
}

/** The backtest driver (src/backtest/run.ts) over in-memory candles, every event collected in its stored (encoded) form. */
export async function backtest(config: BookConfigInput | ResolvedBook, candles: readonly Candle[]): Promise<BacktestRun & { events: NewEvent[] }> {
  const book = 'config_hash' in config ? config : resolveBook(config);
  const events: NewEvent[] = [];
  const run = await runBacktest(book, arrayReader(candles), encodingSink(events));
  return { ...run, events };
}

/** The events of one type, with their payload as canonical JSON (amounts as decimal text). */
export function ofType(events: readonly NewEvent[], type: string): NewEvent[] {
  return events.filter((e) => e.type === type);
}
export const P = (e: NewEvent | undefined): Record<string, CanonicalValue> => (e?.payload ?? {}) as Record<string, CanonicalValue>;
