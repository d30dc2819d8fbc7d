/**
 * Replay verification ("rebuild"): one streaming pass over a stream that checks the hash chain
 * (EventStore.verify: seqs contiguous, links, recomputed hashes, columns vs hashed body, head),
 * folds every event through the stream's kernel, and compares the folded state with every
 * snapshot at its seq (canonical state bytes and chain head). The first divergence is an
 * IntegrityError naming the seq. Memory is bounded by one read batch plus the state.
 */
import { bytesEqual, toHex } from '../core/canonical/hash.js';
import { canonicalBytes } from '../core/canonical/index.js';
import { bookKernel, type BookKernel, type BookState } from '../core/book/index.js';
import type { StoredEvent } from '../core/events/index.js';
import type { EventStore } from '../store/event-store.js';
import { IntegrityError } from '../store/errors.js';

/** The chosen kernel cannot fold this stream (e.g. a trading book folded without its config). */
export class ReplayKernelError extends Error {
  override readonly name = 'ReplayKernelError';
  readonly exitCode = 64;
  constructor(readonly stream: string, readonly seq: number, message: string) {
    super(message);
  }
}

export interface ReplayVerifyResult {
  stream: string;
  events: number;
  head_seq: number;
  chain_head: string;
  /** The folded state's hash, or null when no kernel is known for this kind of stream. */
  state_hash: string | null;
  kernel: string | null;
  snapshots_checked: number;
  /** Where the fold started: 0 = genesis, else the snapshot seq it trusted (--from-snapshot). */
  from_seq: number;
}

/**
 * Folds one event, turning a kernel's refusal into a ReplayKernelError (exit 64) that says what to
 * pass: the one place rebuild and re-execute explain an unfoldable stream.
 */
export function evolveOrExplain(k: { name: string; kernel: BookKernel }, stream: string, state: BookState, e: StoredEvent): BookState {
  try {
    return k.kernel.applyStored(state, e);
  } catch (err) {
    if (err instanceof ReplayKernelError) throw new ReplayKernelError(stream, e.seq, err.message);
    throw new ReplayKernelError(
      stream, e.seq,
      `${stream} seq ${e.seq}: this build cannot fold a ${e.type} event (${(err as Error).message}); ` +
        'was the stream written by another version of Warden?',
    );
  }
}

/**
 * Which kernel folds which stream: the runtime's books (book:<id>) and persisted backtest runs
 * (backtest:<book>:<run>) are book streams. Folding needs no config (evolve applies recorded facts);
 * re-executing does (see the replay verbs: the config recorded in book.started, or --book-config).
 */
export function isBookStream(stream: string): boolean {
  return stream.startsWith('book:') || stream.startsWith('backtest:');
}

export function kernelFor(stream: string): { name: string; kernel: BookKernel } | null {
  return isBookStream(stream) ? { name: 'book', kernel: bookKernel(null) } : null;
}

export async function replayVerify(
  store: EventStore,
  stream: string,
  onProgress?: (checked: number) => void,
  kernelOverride?: { name: string; kernel: BookKernel },
  /**
   * Start from a snapshot instead of genesis ('latest', or the newest at or before a seq): its
   * state is trusted as the starting point (it was proven when written and at each restart), the
   * chain is checked from its head on, and the later snapshots are compared. Fast; the full proof
   * is from genesis.
   */
  opts: { fromSnapshot?: 'latest' | number; /** Stop at this seq (the head read before the pass: a live runtime keeps appending). */ toSeq?: number } = {},
): Promise<ReplayVerifyResult> {
  const k = kernelOverride ?? kernelFor(stream);
  const toSeq = opts.toSeq ?? Number.MAX_SAFE_INTEGER;
  let snapshots = (await store.snapshots(stream)).filter((x) => x.seq <= toSeq);
  let next = 0;
  let state = k?.kernel.decider.initialState();
  let from: { seq: number; hash: Uint8Array } | undefined;
  if (opts.fromSnapshot !== undefined) {
    const atOrBefore = opts.fromSnapshot === 'latest' ? toSeq : Math.min(toSeq, opts.fromSnapshot);
    const snap = await store.latestSnapshot(stream, atOrBefore === Number.MAX_SAFE_INTEGER ? atOrBefore : atOrBefore + 1);
    if (snap !== null) {
      if (k) {
        try {
          state = k.kernel.codec.decode(snap.state);
        } catch (e) {
          throw new ReplayKernelError(stream, snap.seq, `${stream} snapshot at seq ${snap.seq} cannot be decoded by the ${k.name} kernel (${(e as Error).message}): verify from genesis`);
        }
      }
      from = { seq: snap.seq, hash: snap.head_hash };
      snapshots = snapshots.filter((x) => x.seq > snap.seq);
    }
  }
  const compare = (seq: number, headHash: Uint8Array) => {
    while (next < snapshots.length && snapshots[next]!.seq === seq) {
      const snap = snapshots[next]!;
      if (!bytesEqual(snap.head_hash, headHash)) {
        throw new IntegrityError(`${stream} snapshot at seq ${seq}: its chain head ${toHex(snap.head_hash)} is not the log's ${toHex(headHash)}`, stream, seq);
      }
      if (k) {
        const fresh = canonicalBytes(k.kernel.codec.encode(state!));
        if (!bytesEqual(fresh, snap.state_bytes)) {
          throw new IntegrityError(
            `${stream} snapshot at seq ${seq} (${snap.kind}) differs from the state folded from the log up to it ` +
              `(fold ${k.kernel.stateHash(state!)}): the snapshot or the kernel changed`,
            stream, seq,
          );
        }
      }
      next++;
    }
  };
  if (from === undefined) compare(0, new Uint8Array(32));
  const v = await store.verify(stream, onProgress, 2000, (e) => {
    if (k) state = evolveOrExplain(k, stream, state!, e);
    compare(e.seq, e.hash);
  }, { from, toSeq: opts.toSeq });
  if (next < snapshots.length) {
    const s = snapshots[next]!;
    throw new IntegrityError(`${stream} snapshot at seq ${s.seq} is beyond the end of the log (seq ${v.head_seq}): events are missing`, stream, v.head_seq + 1);
  }
  return {
    stream,
    events: v.events,
    head_seq: v.head_seq,
    chain_head: toHex(v.head_hash),
    state_hash: k ? k.kernel.stateHash(state!) : null,
    kernel: k?.name ?? null,
    snapshots_checked: snapshots.length,
    from_seq: from?.seq ?? 0,
  };
}
