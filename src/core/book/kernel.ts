/**
 * The seam between the paper runtime and whatever decides for a book. The runtime is generic over
 * a BookKernel: a pure decider that accepts the RuntimeCommands, a canonical state codec, and a
 * view of the few facts the runtime needs to run a book. Today the minimal book decider fills it;
 * the trading kernel will provide its own BookKernel (with the same runtime commands) later.
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

export interface BookKernel<S> {
  readonly decider: Decider<RuntimeCommand, S>;
  readonly codec: StateCodec<S>;
  view(state: S): BookView;
}

export const minimalBookKernel: BookKernel<BookState> = {
  decider: bookDecider,
  codec: bookStateCodec,
  view: (s) => ({ book_id: s.book_id, execution_plane: s.execution_plane, status: s.status, last_inbox_id: s.last_inbox_id, running: s.running }),
};
