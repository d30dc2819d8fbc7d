/**
 * The kernel that re-executes a book stream: the book config the stream recorded in its
 * book.started (so a runtime book or a persisted backtest replays with nothing else given), or a
 * config an operator passes (--book-config: e.g. to replay a book with a changed kernel; the
 * config hash must still be the recorded one, reexecute checks it). A stream that never started
 * trading (no book.started yet) re-executes as a book without a market.
 */
import { bookKernel, BookConfigError, resolveBook, type BookKernel } from '../core/book/index.js';
import type { CanonicalValue } from '../core/canonical/index.js';
import type { Db } from '../store/db.js';
import type { EventStore } from '../store/event-store.js';
import { ReplayKernelError } from './verify.js';

export type NamedKernel = { name: string; kernel: BookKernel };

/** The config recorded in the stream's first book.started, or null when it has none. */
export async function recordedConfig(db: Db, store: EventStore, stream: string): Promise<{ seq: number; config: CanonicalValue; config_hash: string } | null> {
  const rows = await db.query<{ seq: unknown }>("SELECT seq FROM events WHERE stream = $1 AND type = 'book.started' ORDER BY seq LIMIT 1", [stream]);
  if (rows.length === 0) return null;
  const seq = Number(rows[0]!.seq);
  for await (const batch of store.read(stream, { fromSeq: seq, toSeq: seq, batchSize: 1 })) {
    const p = batch[0]?.payload as { config?: CanonicalValue; config_hash?: unknown } | undefined;
    if (p?.config === undefined || typeof p.config_hash !== 'string') throw new ReplayKernelError(stream, seq, `${stream} seq ${seq}: book.started without a recorded config (written by an older build?): pass --book-config`);
    return { seq, config: p.config, config_hash: p.config_hash };
  }
  return null;
}

/** The kernel of the config a stream recorded (its hash checked), or a book without a market when it recorded none. */
export async function recordedKernel(db: Db, store: EventStore, stream: string): Promise<NamedKernel> {
  const rec = await recordedConfig(db, store, stream);
  if (rec === null) return { name: 'book', kernel: bookKernel(null) };
  let book;
  try {
    book = resolveBook(rec.config);
  } catch (e) {
    if (!(e instanceof BookConfigError)) throw e;
    throw new ReplayKernelError(stream, rec.seq, `${stream} seq ${rec.seq}: this build cannot resolve the recorded book config (${e.message}): pass --book-config`);
  }
  if (book.config_hash !== rec.config_hash) {
    throw new ReplayKernelError(stream, rec.seq, `${stream} seq ${rec.seq}: the recorded config resolves to hash ${book.config_hash} in this build, not the recorded ${rec.config_hash}: pass --book-config`);
  }
  return { name: 'trading', kernel: bookKernel(book) };
}
