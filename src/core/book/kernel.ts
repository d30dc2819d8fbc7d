/**
 * The seam between the drivers (paper runtime, backtest, replay) and the book: the one decider,
 * the state's snapshot codec, a view of the few facts a driver needs, and the market facts when
 * the book trades. bookKernel(null) is a book with no market (operator commands only).
 */
import type { CanonicalValue } from '../canonical/index.js';
import type { ResolvedBook } from './config.js';
import { decodeEvent } from './codecs.js';
import { bookDecider, type BookDecider } from './decide.js';
import { evolve } from './evolve.js';
import type { ExecutionPlane } from './events.js';
import type { StepProbe } from './probe.js';
import { BOOK_STATE_VERSION, decodeState, encodeState, lastCandle, stateHash, type BookState } from './state.js';
import { epochAllows } from './epochs.js';
import { closeTimeMs } from '../market/candle.js';

export interface BookView {
  readonly book_id: string | null;
  readonly execution_plane: ExecutionPlane | null;
  readonly status: string;
  readonly last_inbox_id: number;
  readonly running: boolean;
}

/** What a trading book needs from the market: the drivers feed it `market.tick` commands. */
export interface MarketFeed {
  readonly symbols: readonly string[];
  readonly interval_s: number;
  /** The hash of the book config this kernel was built from. */
  readonly config_hash: string;
  /** The close time of the last tick the state has processed; null before the first. */
  lastTickMs(state: BookState): number | null;
  /** The config hash the state's book was started with; null before it started. */
  startedConfigHash(state: BookState): string | null;
  /** How long the runtime waits for a late symbol (data.lateness_ms resolved); null: forever. */
  readonly lateness_ms: number | null;
  /** The close of the newest candle recorded for `symbol` (bar.closed or bar.late); null: none. */
  lastBarMs(state: BookState, symbol: string): number | null;
  /** Truth epochs: whether the tick at t_ms may run now (T <= TE, or auto mode whose gate passes); always true with epochs off. */
  epochAllows(state: BookState, t_ms: number): boolean;
}

export interface StateCodec {
  /** A short name + version, recorded in logs and snapshot kinds. */
  readonly name: string;
  encode(state: BookState): CanonicalValue;
  /** Throws BookStateError naming the first bad field. */
  decode(value: CanonicalValue): BookState;
}

export interface BookKernel {
  readonly decider: BookDecider;
  readonly book: ResolvedBook | null;
  readonly codec: StateCodec;
  view(state: BookState): BookView;
  stateHash(state: BookState): string;
  /** Folds one stored event (decoded and validated by its codec first) onto the state, in place. */
  applyStored(state: BookState, event: StoredLike): BookState;
  /** Present when the book trades: the driver then runs its market loop. */
  readonly market?: MarketFeed;
}

/** An event as read from the store: its payload in canonical JSON. */
export interface StoredLike {
  readonly type: string;
  readonly time_ms: number;
  readonly payload: CanonicalValue;
  readonly seq?: number;
}

export const bookStateCodec: StateCodec = { name: `book.v${BOOK_STATE_VERSION}`, encode: encodeState, decode: decodeState };

/** `opts.probe`: a driver's timing seam (./probe.ts); the events are the same without it. */
export function bookKernel(book: ResolvedBook | null, opts: { probe?: StepProbe } = {}): BookKernel {
  const base = {
    decider: bookDecider(book, opts.probe),
    book,
    codec: bookStateCodec,
    view: (s: BookState): BookView => ({ book_id: s.book_id, execution_plane: s.execution_plane, status: s.status, last_inbox_id: s.last_inbox_id, running: s.running }),
    stateHash,
    applyStored: (state: BookState, e: StoredLike) => evolve(state, decodeEvent(e)),
  };
  if (book === null) return base;
  return {
    ...base,
    market: {
      symbols: book.symbols,
      interval_s: book.interval_s,
      config_hash: book.config_hash,
      lastTickMs: (s) => (s.ticks > 0 ? s.time_ms : null),
      startedConfigHash: (s) => (s.started ? s.config_hash : null),
      lateness_ms: book.lateness_ms,
      lastBarMs: (s, symbol) => {
        const c = lastCandle(s, symbol);
        return c === undefined ? null : closeTimeMs(c);
      },
      epochAllows: (s, t) => epochAllows(book, s, t),
    },
  };
}
