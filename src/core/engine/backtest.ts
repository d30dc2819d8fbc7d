/**
 * runBacktest(config, candles) -> { events, state, summary }: the engine decider folded over
 * historical bars, in memory. Candles of all symbols are grouped by close time into ticks (a
 * symbol without a bar at a tick simply has none: Kraken's CSV omits no-trade hours). The
 * summary's fingerprint is sha256 over the canonical list of fills; state_hash is the engine
 * state hash after the last tick. Same config + same candles -> byte-identical events and hashes.
 */
import { canonicalBytes, type CanonicalValue } from '../canonical/index.js';
import { sha256, toHex } from '../canonical/hash.js';
import { Decimal } from '../money/decimal.js';
import { closeTimeMs, type Candle } from '../market/candle.js';
import { resolveBook, type ResolvedBook } from './config.js';
import { engineDecider } from './decider.js';
import type { EngineEvent } from './events.js';
import { engineStateHash, lastCandle, type EngineState } from './state.js';
import { positionQty } from '../ledger/index.js';

export interface BacktestSummary {
  readonly bars: number;
  readonly ticks: number;
  readonly fills: number;
  readonly trades_closed: number;
  readonly trades_open: number;
  readonly net_pnl: string;
  readonly fees: string;
  readonly final_cash: string;
  readonly final_equity: string;
  readonly max_drawdown_pct: string;
  /** Annualized Sharpe of per-tick equity returns (float, for reporting; risk-free rate 0). */
  readonly sharpe: string;
  /** Share of ticks that ended with any position open, percent. */
  readonly exposure_pct: string;
  readonly fingerprint: string;
  readonly state_hash: string;
}

export interface BacktestResult {
  readonly events: readonly EngineEvent[];
  readonly state: EngineState;
  readonly summary: BacktestSummary;
  readonly book: ResolvedBook;
}

/** Limit: candles per backtest (all symbols). */
export const BACKTEST_CANDLES_MAX = 5_000_000;

export class BacktestError extends Error {
  override readonly name = 'BacktestError';
}

/** Groups candles by close time (ascending); rejects symbols outside the book and duplicates. */
export function ticksOf(book: ResolvedBook, candles: readonly Candle[]): { time_ms: number; candles: Candle[] }[] {
  if (candles.length > BACKTEST_CANDLES_MAX) throw new BacktestError(`${candles.length} candles (max ${BACKTEST_CANDLES_MAX})`);
  const byTime = new Map<number, Candle[]>();
  for (const c of candles) {
    if (!book.symbols.includes(c.symbol)) throw new BacktestError(`candle for ${c.symbol}, not in the book's symbols`);
    const t = closeTimeMs(c);
    const list = byTime.get(t);
    if (list === undefined) byTime.set(t, [c]);
    else list.push(c);
  }
  return [...byTime.keys()].sort((a, b) => a - b).map((t) => ({ time_ms: t, candles: byTime.get(t) as Candle[] }));
}

export function fillsFingerprint(events: readonly EngineEvent[]): string {
  const fills: CanonicalValue[] = [];
  for (const e of events) if (e.type === 'fill.executed') fills.push({ time_ms: e.time_ms, fill: e.payload });
  return toHex(sha256(canonicalBytes(fills)));
}

export function runBacktest(configInput: unknown, candles: readonly Candle[]): BacktestResult {
  const book = resolveBook(configInput);
  const decider = engineDecider(book);
  const ticks = ticksOf(book, candles);
  const first = ticks[0];
  if (first === undefined) throw new BacktestError('no candles');
  const events: EngineEvent[] = [];
  let state = decider.initialState();
  const apply = (r: { events: readonly EngineEvent[]; state: EngineState }) => {
    for (const e of r.events) events.push(e);
    state = r.state;
  };
  apply(decider.step({ type: 'start', time_ms: first.time_ms - book.interval_s * 1000 }, state));
  const equities: number[] = [];
  let exposed = 0;
  for (const t of ticks) {
    apply(decider.step({ type: 'bar_closed', time_ms: t.time_ms, candles: t.candles }, state));
    equities.push(state.equity.toNumber());
    if (Object.keys(state.ledger.lots).length > 0) exposed++;
  }
  return { events, state, book, summary: summarize(book, events, state, equities, exposed, ticks.length) };
}

function summarize(book: ResolvedBook, events: readonly EngineEvent[], state: EngineState, equities: number[], exposed: number, ticks: number): BacktestSummary {
  let maxDd = Decimal.ZERO;
  for (const e of events) {
    if (e.type !== 'mark.recorded') continue;
    const dd = Decimal.parse((e.payload as { drawdown_pct: string }).drawdown_pct);
    if (dd.gt(maxDd)) maxDd = dd;
  }
  // Sharpe on per-tick simple returns, annualized by sqrt(ticks per year).
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 1; i < equities.length; i++) {
    const prev = equities[i - 1] as number;
    const r = prev > 0 ? (equities[i] as number) / prev - 1 : 0;
    n++;
    const d = r - mean;
    mean += d / n;
    m2 += d * (r - mean);
  }
  const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
  const perYear = (365 * 86_400) / book.interval_s;
  const sharpe = sd > 0 ? (mean / sd) * Math.sqrt(perYear) : 0;
  let bars = 0;
  for (const e of events) if (e.type === 'bar.closed') bars++;
  const cash = state.ledger.cash;
  let equity = cash;
  for (const sym of Object.keys(state.ledger.lots)) {
    const last = lastCandle(state.history.get(sym));
    if (last !== undefined) equity = equity.add(positionQty(state.ledger, sym).mul(last.close));
  }
  return {
    bars,
    ticks,
    fills: state.fills,
    trades_closed: state.ledger.trades_closed,
    trades_open: Object.keys(state.ledger.campaigns).length,
    net_pnl: equity.sub(state.ledger.deposits).toString(),
    fees: state.ledger.fees_total.toString(),
    final_cash: cash.toString(),
    final_equity: equity.toString(),
    max_drawdown_pct: maxDd.toString(),
    sharpe: sharpe.toFixed(4),
    exposure_pct: ticks > 0 ? ((100 * exposed) / ticks).toFixed(2) : '0.00',
    fingerprint: fillsFingerprint(events),
    state_hash: engineStateHash(state),
  };
}
