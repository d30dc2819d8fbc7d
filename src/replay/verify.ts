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
import type { EventStore, Snapshot } from '../store/event-store.js';
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

/** Where a pass starts: genesis, or a snapshot trusted as the starting point (--from-snapshot). */
export interface StartPoint {
  readonly from: { seq: number; hash: Uint8Array; state: BookState | undefined } | undefined;
  /** The snapshots after the start, up to toSeq, to compare on the way. */
  readonly snapshots: Omit<Snapshot, 'state'>[];
}

export async function startPoint(store: EventStore, stream: string, k: { name: string; kernel: BookKernel } | null, fromSnapshot: 'latest' | number | undefined, toSeq = Number.MAX_SAFE_INTEGER): Promise<StartPoint> {
  let snapshots = (await store.snapshots(stream)).filter((x) => x.seq <= toSeq);
  if (fromSnapshot === undefined) return { from: undefined, snapshots };
  const atOrBefore = fromSnapshot === 'latest' ? toSeq : Math.min(toSeq, fromSnapshot);
  const snap = await store.latestSnapshot(stream, atOrBefore === Number.MAX_SAFE_INTEGER ? atOrBefore : atOrBefore + 1);
  if (snap === null) return { from: undefined, snapshots };
  let state: BookState | undefined;
  if (k) {
    try {
      state = k.kernel.codec.decode(snap.state);
    } catch (e) {
      throw new ReplayKernelError(stream, snap.seq, `${stream} snapshot at seq ${snap.seq} cannot be decoded by the ${k.name} kernel (${(e as Error).message}): verify from genesis`);
    }
  }
  snapshots = snapshots.filter((x) => x.seq > snap.seq);
  return { from: { seq: snap.seq, hash: snap.head_hash, state }, snapshots };
}

/**
 * Compares the stored snapshots with the fold as a pass reaches their seqs: chain head and
 * canonical state bytes (`state` is null for a chain-only stream).
 */
export class SnapshotChecker {
  private next = 0;
  constructor(private readonly stream: string, private readonly snapshots: readonly Omit<Snapshot, 'state'>[], private readonly k: { kernel: BookKernel } | null) {}

  get checked(): number {
    return this.snapshots.length;
  }

  /** At seq (the pass's position; a step end for re-execution): every snapshot up to it must be here and match. */
  at(seq: number, headHash: Uint8Array, state: BookState | undefined): void {
    const { stream } = this;
    while (this.next < this.snapshots.length && this.snapshots[this.next]!.seq <= seq) {
      const snap = this.snapshots[this.next]!;
      if (snap.seq < seq) throw new IntegrityError(`${stream} snapshot at seq ${snap.seq} is not at the end of a step (the runtime writes them between steps)`, stream, snap.seq);
      if (!bytesEqual(snap.head_hash, headHash)) {
        throw new IntegrityError(`${stream} snapshot at seq ${seq}: its chain head ${toHex(snap.head_hash)} is not the log's ${toHex(headHash)}`, stream, seq);
      }
      if (this.k && state !== undefined) {
        const fresh = canonicalBytes(this.k.kernel.codec.encode(state));
        if (!bytesEqual(fresh, snap.state_bytes)) {
          throw new IntegrityError(
            `${stream} snapshot at seq ${seq} (${snap.kind}) differs from the state folded from the log up to it ` +
              `(fold ${this.k.kernel.stateHash(state)}): the snapshot or the kernel changed`,
            stream, seq,
          );
        }
      }
      this.next++;
    }
  }

  /** At the end of the pass: no snapshot may lie beyond the log. */
  end(headSeq: number): void {
    if (this.next < this.snapshots.length) {
      const s = this.snapshots[this.next]!;
      throw new IntegrityError(`${this.stream} snapshot at seq ${s.seq} is beyond the end of the log (seq ${headSeq}): events are missing`, this.stream, headSeq + 1);
    }
  }
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
  const start = await startPoint(store, stream, k, opts.fromSnapshot, opts.toSeq);
  let state = start.from?.state ?? k?.kernel.decider.initialState();
  const checker = new SnapshotChecker(stream, start.snapshots, k);
  if (start.from === undefined) checker.at(0, new Uint8Array(32), state);
  const v = await store.verify(stream, onProgress, 2000, (e) => {
    if (k) state = evolveOrExplain(k, stream, state!, e);
    // a rebuild checks every event's seq: a snapshot is compared where it sits
    checker.at(e.seq, e.hash, state);
  }, { from: start.from, toSeq: opts.toSeq });
  checker.end(v.head_seq);
  return {
    stream,
    events: v.events,
    head_seq: v.head_seq,
    chain_head: toHex(v.head_hash),
    state_hash: k ? k.kernel.stateHash(state!) : null,
    kernel: k?.name ?? null,
    snapshots_checked: checker.checked,
    from_seq: start.from?.seq ?? 0,
  };
}
