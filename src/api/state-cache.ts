/**
 * Book states for the API: the fold of a stream through its own kernel (the config recorded in its
 * book.started: src/replay/kernel.ts), started from its newest snapshot when it has one, kept in
 * memory for the few streams last asked for and advanced by the events appended since (a long
 * backtest is folded once, then each request reads only what is new). A read model: the chain is
 * proved by `warden replay verify`, not here; nothing is written and no lease is taken.
 */
import type { BookKernel, BookState } from '../core/book/index.js';
import type { Db } from '../store/db.js';
import type { EventStore } from '../store/event-store.js';
import { recordedKernel } from '../replay/kernel.js';
import { STATE_CACHE_STREAMS_MAX } from './limits.js';

export interface FoldedBook {
  readonly stream: string;
  readonly kernel: BookKernel;
  state: BookState;
  seq: number;
}

const FOLD_BATCH = 5_000;

export class StateCache {
  private readonly books = new Map<string, FoldedBook>();
  private readonly pending = new Map<string, Promise<FoldedBook>>();

  constructor(private readonly db: Db, private readonly store: EventStore, private readonly max = STATE_CACHE_STREAMS_MAX) {}

  /** The state of `stream` folded up to `headSeq` (at least). One fold per stream at a time. */
  get(stream: string, headSeq: number): Promise<FoldedBook> {
    const inFlight = this.pending.get(stream);
    if (inFlight) return inFlight.then((b) => (b.seq >= headSeq ? b : this.get(stream, headSeq)));
    const p = this.advance(stream, headSeq).finally(() => this.pending.delete(stream));
    this.pending.set(stream, p);
    return p;
  }

  private async advance(stream: string, headSeq: number): Promise<FoldedBook> {
    let b = this.books.get(stream);
    if (b === undefined) b = await this.start(stream);
    this.books.delete(stream); // re-inserted last: least recently used first
    this.books.set(stream, b);
    while (this.books.size > this.max) this.books.delete(this.books.keys().next().value as string);
    if (b.seq < headSeq) {
      for await (const batch of this.store.read(stream, { fromSeq: b.seq + 1, toSeq: headSeq, batchSize: FOLD_BATCH })) {
        for (const e of batch) b.state = b.kernel.applyStored(b.state, e);
        b.seq = batch[batch.length - 1]!.seq;
      }
    }
    return b;
  }

  private async start(stream: string): Promise<FoldedBook> {
    const { kernel } = await recordedKernel(this.db, this.store, stream);
    const snap = await this.store.latestSnapshot(stream).catch(() => null);
    if (snap !== null) {
      try {
        return { stream, kernel, state: kernel.codec.decode(snap.state), seq: snap.seq };
      } catch {
        // another build's state version: fold from genesis
      }
    }
    return { stream, kernel, state: kernel.decider.initialState(), seq: 0 };
  }
}
