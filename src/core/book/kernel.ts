/**
 * The seam between the paper runtime and whatever decides for a book. The runtime is generic over
 * a BookKernel: a pure decider that accepts the RuntimeCommands, a canonical state codec, and a
 * view of the few facts the runtime needs to run a book. Today the minimal book decider fills it;
 * the trading kernel (../engine/book-kernel.ts) provides its own, with a market feed.
 */
import type { Decider } from '../decider/index.js';
import { bookDecider, type RuntimeCommand } from './decider.js';
import { bookStateCodec, type BookState, type ExecutionPlane, type StateCodec } from './state.js';

export interface BookView {
  readonly book_id: string | null;
  readonly execution_plane: ExecutionPlane | null;
  readonly status: string;
  readonly last_inbox_id: number;
  readonly running: boolean;
}

/** What a kernel that trades needs from the market: the runtime feeds it `market.tick` commands. */
export interface MarketFeed<S> {
  readonly symbols: readonly string[];
  readonly interval_s: number;
  /** The hash of the book config this kernel was built from. */
  readonly config_hash: string;
  /** The close time of the last tick the state has processed; null before the first. */
  lastTickMs(state: S): number | null;
  /** The config hash the state's book was started with; null before it started. */
  startedConfigHash(state: S): string | null;
}

export interface BookKernel<S> {
  readonly decider: Decider<RuntimeCommand, S>;
  readonly codec: StateCodec<S>;
  view(state: S): BookView;
  /** Present when the book trades: the runtime then runs its market loop. */
  readonly market?: MarketFeed<S>;
}

export const minimalBookKernel: BookKernel<BookState> = {
  decider: bookDecider,
  codec: bookStateCodec,
  view: (s) => ({ book_id: s.book_id, execution_plane: s.execution_plane, status: s.status, last_inbox_id: s.last_inbox_id, running: s.running }),
};
