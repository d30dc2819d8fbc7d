/**
 * The book's state as the paper runtime sees it, its canonical encoding and its state hash.
 *
 * Minimal on purpose: the trading kernel (skills, risk, ledger) is built separately and will plug
 * in as the book's decider behind the same seam (see ./kernel.ts). The state is plain data, its
 * encoding is canonical JSON (RFC 8785) with a version field, and the state hash is
 * sha256(BOOK_STATE_DOMAIN_TAG || canonical bytes), so two processes that folded the same events
 * print the same hash.
 */
import { canonicalBytes, type CanonicalValue } from '../canonical/index.js';
import { sha256, toHex } from '../canonical/hash.js';
import { BOOK_ID_RE } from './limits.js';

/** The only execution planes that exist. There is no live plane and no code path to one. */
export const EXECUTION_PLANES = ['PAPER', 'SHADOW'] as const;
export type ExecutionPlane = (typeof EXECUTION_PLANES)[number];

/** UNOPENED until book.opened; later the trading kernel adds REDUCING and HALTED. */
export const BOOK_STATUSES = ['UNOPENED', 'ACTIVE', 'PAUSED'] as const;
export type BookStatus = (typeof BOOK_STATUSES)[number];

export const BOOK_STATE_VERSION = 1;
export const BOOK_STATE_DOMAIN_TAG: Uint8Array = new TextEncoder().encode('warden.book.state.v1\u0000');
export { BOOK_ID_RE };

export interface BookCounts {
  readonly events: number;
  readonly starts: number;
  readonly stops: number;
  readonly commands_applied: number;
  readonly commands_rejected: number;
}

export interface BookState {
  readonly book_id: string | null;
  readonly execution_plane: ExecutionPlane | null;
  readonly status: BookStatus;
  /** The highest inbox id this book has answered (applied or rejected): commands are idempotent. */
  readonly last_inbox_id: number;
  /** True between runtime.started and runtime.stopped; true at restore means the last run crashed. */
  readonly running: boolean;
  readonly counts: BookCounts;
}

export const INITIAL_BOOK_STATE: BookState = {
  book_id: null,
  execution_plane: null,
  status: 'UNOPENED',
  last_inbox_id: 0,
  running: false,
  counts: { events: 0, starts: 0, stops: 0, commands_applied: 0, commands_rejected: 0 },
};

export class BookStateError extends Error {
  override readonly name = 'BookStateError';
}

/** Encodes and decodes a book state to canonical JSON; the runtime is generic over this. */
export interface StateCodec<S> {
  /** A short name + version, recorded in logs and snapshot kinds. */
  readonly name: string;
  encode(state: S): CanonicalValue;
  /** Validates; throws naming the first bad field. */
  decode(value: CanonicalValue): S;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function count(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new BookStateError(`${path}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

export const bookStateCodec: StateCodec<BookState> = {
  name: `book.v${BOOK_STATE_VERSION}`,
  encode(s) {
    return {
      v: BOOK_STATE_VERSION,
      book_id: s.book_id,
      execution_plane: s.execution_plane,
      status: s.status,
      last_inbox_id: s.last_inbox_id,
      running: s.running,
      counts: { ...s.counts },
    };
  },
  decode(value) {
    if (!isObj(value)) throw new BookStateError('book state: expected an object');
    if (value.v !== BOOK_STATE_VERSION) throw new BookStateError(`book state: version ${JSON.stringify(value.v)} is not ${BOOK_STATE_VERSION}`);
    const keys = Object.keys(value).sort().join(',');
    if (keys !== 'book_id,counts,execution_plane,last_inbox_id,running,status,v') throw new BookStateError(`book state: unexpected fields ${keys}`);
    const { book_id, execution_plane, status, running, counts } = value;
    if (book_id !== null && (typeof book_id !== 'string' || !BOOK_ID_RE.test(book_id))) throw new BookStateError(`book state.book_id: expected null or ${BOOK_ID_RE}`);
    if (execution_plane !== null && !EXECUTION_PLANES.includes(execution_plane as ExecutionPlane)) throw new BookStateError(`book state.execution_plane: expected null, PAPER or SHADOW`);
    if (!BOOK_STATUSES.includes(status as BookStatus)) throw new BookStateError(`book state.status: expected one of ${BOOK_STATUSES.join(', ')}`);
    if (typeof running !== 'boolean') throw new BookStateError('book state.running: expected a boolean');
    if (!isObj(counts)) throw new BookStateError('book state.counts: expected an object');
    return {
      book_id: book_id as string | null,
      execution_plane: execution_plane as ExecutionPlane | null,
      status: status as BookStatus,
      last_inbox_id: count(value.last_inbox_id, 'book state.last_inbox_id'),
      running,
      counts: {
        events: count(counts.events, 'book state.counts.events'),
        starts: count(counts.starts, 'book state.counts.starts'),
        stops: count(counts.stops, 'book state.counts.stops'),
        commands_applied: count(counts.commands_applied, 'book state.counts.commands_applied'),
        commands_rejected: count(counts.commands_rejected, 'book state.counts.commands_rejected'),
      },
    };
  },
};

/** sha256(domain tag || canonical bytes of the encoded state), as lower-case hex. */
export function stateHashHex<S>(codec: StateCodec<S>, state: S): string {
  return toHex(sha256(BOOK_STATE_DOMAIN_TAG, canonicalBytes(codec.encode(state))));
}
