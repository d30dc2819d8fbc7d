/**
 * Restore = latest snapshot + replay of the events after it, with every event's chain link
 * checked on the way. The latest snapshot is used at once (fast restart) and verified in the
 * background (`verified`); the runner awaits that before the first new event is written.
 *
 * The check is bounded by the snapshot interval, not by history: the latest snapshot is proved
 * from its PREDECESSOR snapshot. The predecessor's state is decoded, its head hash must be the
 * stored hash of the event at its seq, the events (pred.seq, latest.seq] are folded onto it with
 * every link checked, and the result's canonical bytes must equal the latest snapshot's. With no
 * predecessor, or one this build cannot decode (another state version), the fold starts from
 * genesis (the old, O(history) check).
 *
 * Why that is enough at start-up (the trust argument):
 *  - snapshots are written only by the lease holder, from the runner's own fold of the checked
 *    log, so a wrong snapshot needs someone writing the database behind the runtime's back;
 *  - every start proves the newest snapshot from the one before, so a single altered snapshot
 *    (the newest, or the predecessor: then the newest no longer follows from it) is refused
 *    before anything new is written;
 *  - what this does not catch at start-up (a superuser rewriting two consecutive snapshots
 *    consistently, an older snapshot altered, or a decider changed without a new state version
 *    where it only affects older events) is caught by `warden replay verify`, which folds the
 *    whole stream from genesis and checks every snapshot (src/replay/verify.ts). Run it
 *    periodically or after a restore from backup; it is the full proof, this is the fast one.
 *
 * A latest snapshot this build cannot decode is ignored and the whole stream is replayed.
 */
import { bytesEqual, toHex, type Hash } from '../core/canonical/hash.js';
import { canonicalBytes } from '../core/canonical/index.js';
import { GENESIS_PREV_HASH, type StoredEvent } from '../core/events/index.js';
import type { BookKernel, BookState } from '../core/book/index.js';
import type { EventStore, Snapshot } from '../store/event-store.js';
import { IntegrityError } from '../store/errors.js';

export const REPLAY_BATCH_SIZE = 2000;

export interface Restored {
  state: BookState;
  seq: number;
  head_hash: Hash;
  snapshot_seq: number | null;
  events_replayed: number;
  state_hash: string;
  /** Resolves once the snapshot is proved from its predecessor (at once if there was none); rejects with IntegrityError. */
  verified: Promise<SnapshotVerified>;
}

export type RestoreNote = { event: 'snapshot_ignored'; snapshot_seq: number; reason: string };

/**
 * Folds events from..to onto `state` through EventStore.verify's range check (the one chain check
 * of the code base: contiguous seqs, each link to `prev`, each hash recomputed, columns vs body;
 * and, reading to the end, the stream head).
 */
async function foldRange(
  store: EventStore, stream: string, kernel: BookKernel, state: BookState, prev: Hash, fromSeq: number, toSeq?: number,
): Promise<{ state: BookState; seq: number; prev: Hash; n: number }> {
  let n = 0;
  const v = await store.verify(stream, undefined, REPLAY_BATCH_SIZE, (e) => {
    state = kernel.applyStored(state, e);
    n++;
  }, { from: { seq: fromSeq - 1, hash: prev }, toSeq });
  return { state, seq: v.head_seq, prev: v.head_hash, n };
}

/** What the snapshot check did: how many events it folded, and from which seq (0 = genesis). */
export interface SnapshotVerified {
  events_folded: number;
  /** The predecessor snapshot's seq the fold started from; 0 when it started from genesis. */
  from_seq: number;
}

/**
 * The fold's starting point for proving `snap`: the predecessor snapshot (its head hash checked
 * against the log), or genesis when there is none or it cannot be decoded.
 */
async function proofBase(store: EventStore, stream: string, kernel: BookKernel, snap: Snapshot): Promise<{ state: BookState; prev: Hash; seq: number }> {
  const genesis = { state: kernel.decider.initialState(), prev: GENESIS_PREV_HASH, seq: 0 };
  const pred = await store.latestSnapshot(stream, snap.seq);
  if (!pred) return genesis;
  let state: BookState;
  try {
    state = kernel.codec.decode(pred.state);
  } catch {
    return genesis; // another state version: prove the latest from genesis instead
  }
  let logHash: Hash = GENESIS_PREV_HASH;
  if (pred.seq > 0) {
    let found: StoredEvent | undefined;
    for await (const batch of store.read(stream, { fromSeq: pred.seq, toSeq: pred.seq, batchSize: 1 })) found = batch[0];
    if (!found) throw new IntegrityError(`${stream} snapshot at seq ${pred.seq}: the log has no event at its seq`, stream, pred.seq);
    logHash = found.hash;
  }
  if (!bytesEqual(pred.head_hash, logHash)) {
    throw new IntegrityError(`${stream} snapshot at seq ${pred.seq}: its head hash ${toHex(pred.head_hash)} is not the log's ${toHex(logHash)}`, stream, pred.seq);
  }
  return { state, prev: pred.head_hash, seq: pred.seq };
}

async function verifySnapshot(store: EventStore, stream: string, kernel: BookKernel, snap: Snapshot): Promise<SnapshotVerified> {
  const base = await proofBase(store, stream, kernel, snap);
  const r = await foldRange(store, stream, kernel, base.state, base.prev, base.seq + 1, snap.seq);
  if (r.seq !== snap.seq) throw new IntegrityError(`${stream} snapshot at seq ${snap.seq}: the log has only ${r.seq} events up to it`, stream, snap.seq);
  if (!bytesEqual(r.prev, snap.head_hash)) {
    throw new IntegrityError(`${stream} snapshot at seq ${snap.seq}: its head hash ${toHex(snap.head_hash)} is not the log's ${toHex(r.prev)}`, stream, snap.seq);
  }
  const fresh = canonicalBytes(kernel.codec.encode(r.state));
  if (!bytesEqual(fresh, snap.state_bytes)) {
    const from = base.seq === 0 ? 'genesis' : `the snapshot at seq ${base.seq}`;
    throw new IntegrityError(
      `${stream} snapshot at seq ${snap.seq} does not match a fresh fold of events ${base.seq + 1}..${snap.seq} from ${from} ` +
        `(snapshot state hash ${kernel.stateHash(kernel.codec.decode(snap.state))}, fold ${kernel.stateHash(r.state)}): ` +
        'one of the two snapshots is corrupt or the decider changed without a new state version',
      stream, snap.seq,
    );
  }
  return { events_folded: r.n, from_seq: base.seq };
}

export async function restore(store: EventStore, stream: string, kernel: BookKernel, onNote: (n: RestoreNote) => void = () => undefined): Promise<Restored> {
  let snap = await store.latestSnapshot(stream);
  let start: { state: BookState; prev: Hash; seq: number } = { state: kernel.decider.initialState(), prev: GENESIS_PREV_HASH, seq: 0 };
  if (snap) {
    try {
      start = { state: kernel.codec.decode(snap.state), prev: snap.head_hash, seq: snap.seq };
    } catch (e) {
      onNote({ event: 'snapshot_ignored', snapshot_seq: snap.seq, reason: (e as Error).message });
      snap = null;
    }
  }
  const verified = snap ? verifySnapshot(store, stream, kernel, snap) : Promise.resolve({ events_folded: 0, from_seq: 0 });
  verified.catch(() => undefined); // observed by the runner before its first write; never unhandled
  // Read to the end: verify also checks that the stream head is where the log ends.
  const tail = await foldRange(store, stream, kernel, start.state, start.prev, start.seq + 1);
  const seq = tail.seq;
  return {
    state: tail.state,
    seq,
    head_hash: tail.prev,
    snapshot_seq: snap ? snap.seq : null,
    events_replayed: tail.n,
    state_hash: kernel.stateHash(tail.state),
    verified,
  };
}
