/** What every route of the read-only API shares: the store (reads only), the caches, the clock. */
import type { Db } from '../store/db.js';
import type { EventStore } from '../store/event-store.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { BookMetaCache } from './book-meta.js';
import type { DirectiveIndex } from '../governance/directives-index.js';
import type { StalenessRule } from './staleness.js';
import type { StateCache } from './state-cache.js';
import type { Tailer } from './tailer.js';
import { bookStream, type BookStream } from './reads.js';

export interface ApiContext {
  readonly db: Db;
  readonly store: EventStore;
  readonly states: StateCache;
  readonly metas: BookMetaCache;
  readonly directives: DirectiveIndex;
  readonly metrics: Metrics;
  readonly tailer: Tailer;
  readonly staleness: StalenessRule;
  readonly now: () => number;
}

/** An HTTP error with its status and a message naming what was wrong. */
export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

/** The book stream named in the URL, or 404 naming it. */
export async function requireBook(ctx: ApiContext, stream: string): Promise<BookStream> {
  const b = await bookStream(ctx.db, stream);
  if (b === null) throw new HttpError(404, `no book stream ${JSON.stringify(stream)} (GET /api/books lists them)`);
  return b;
}
