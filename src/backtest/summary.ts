/**
 * The backtest summary, folded from the run's events as they are made (bounded memory: a few
 * numbers, whatever the length of the run): bars, ticks, fills, trades, net P&L, fees, final cash
 * and equity, max drawdown, Sharpe of per-tick equity returns, exposure, the fill fingerprint
 * (sha256 over the canonical list of fills, streamed) and the state hash at the end.
 */
import { createHash, type Hash } from 'node:crypto';
import { integerText } from '../core/canonical/index.js';
import { Decimal } from '../core/money/decimal.js';
import { payloadJson, type BookEvent, type BookState, type ResolvedBook } from '../core/book/index.js';
import { positionQty } from '../core/ledger/index.js';
import { lastCandle, stateHash } from '../core/book/index.js';

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

/** sha256 of canonicalBytes([{fill, time_ms}, ...]) over the fill.executed events, fed one at a time. */
export class FillFingerprint {
  private readonly hash: Hash = createHash('sha256').update('[');
  private first = true;
  add(e: BookEvent): void {
    if (e.type !== 'fill.executed') return;
    // = canonicalJson({ fill: encodeEvent(e).payload, time_ms }): keys in canonical order, the payload by its direct writer
    this.hash.update(`${this.first ? '' : ','}{"fill":${payloadJson(e)},"time_ms":${integerText(e.time_ms)}}`);
    this.first = false;
  }
  hex(): string {
    return this.hash.copy().update(']').digest('hex');
  }
}

export class SummaryCollector {
  private bars = 0;
  private ticks = 0;
  private exposed = 0;
  private maxDd = Decimal.ZERO;
  private prevEquity: number | null = null;
  /** The last equity marked and its float: a flat book marks the same Decimal tick after tick. */
  private lastEquity: Decimal | null = null;
  private lastEquityNum = 0;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  readonly fingerprint = new FillFingerprint();

  add(e: BookEvent): void {
    switch (e.type) {
      case 'bar.closed':
        this.bars++;
        return;
      case 'fill.executed':
        this.fingerprint.add(e);
        return;
      case 'mark.recorded': {
        this.ticks++;
        const p = e.payload;
        if (p.drawdown_pct.gt(this.maxDd)) this.maxDd = p.drawdown_pct;
        if (p.positions.length > 0) this.exposed++;
        if (p.equity !== this.lastEquity) {
          this.lastEquity = p.equity;
          this.lastEquityNum = p.equity.toNumber();
        }
        const eq = this.lastEquityNum;
        if (this.prevEquity !== null) {
          const r = this.prevEquity > 0 ? eq / this.prevEquity - 1 : 0;
          this.n++;
          const d = r - this.mean;
          this.mean += d / this.n;
          this.m2 += d * (r - this.mean);
        }
        this.prevEquity = eq;
        return;
      }
      default:
        return;
    }
  }

  summary(book: ResolvedBook, state: BookState): BacktestSummary {
    const sd = this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0;
    const perYear = (365 * 86_400) / book.interval_s;
    const sharpe = sd > 0 ? (this.mean / sd) * Math.sqrt(perYear) : 0;
    const cash = state.ledger.cash;
    let equity = cash;
    for (const sym of Object.keys(state.ledger.lots)) {
      const last = lastCandle(state, sym);
      if (last !== undefined) equity = equity.add(positionQty(state.ledger, sym).mul(last.close));
    }
    return {
      bars: this.bars, ticks: this.ticks, fills: state.fills, trades_closed: state.ledger.trades_closed, trades_open: Object.keys(state.ledger.campaigns).length,
      net_pnl: equity.sub(state.ledger.deposits).toString(), fees: state.ledger.fees_total.toString(), final_cash: cash.toString(), final_equity: equity.toString(),
      max_drawdown_pct: this.maxDd.toString(), sharpe: sharpe.toFixed(4), exposure_pct: this.ticks > 0 ? ((100 * this.exposed) / this.ticks).toFixed(2) : '0.00',
      fingerprint: this.fingerprint.hex(), state_hash: stateHash(state),
    };
  }
}
