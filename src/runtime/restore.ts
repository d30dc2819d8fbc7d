/**
 * Restore = latest snapshot + replay of the events after it, with every event's chain link
 * checked on the way. The snapshot itself is verified against a fresh fold of the events it
 * covers (chain checked from genesis, folded state's canonical bytes compared with the snapshot's);
 * that fold runs in the background while the tail replays, and the runner awaits it before the
 * first new event is written (`verified`). A snapshot whose encoding this build cannot decode
 * (another state version) is ignored and the whole stream is replayed.
 */
import { bytesEqual, toHex, type Hash } from '../core/canonical/hash.js';
import { canonicalBytes } from '../core/canonical/index.js';
import { chainHash, GENESIS_PREV_HASH, type StoredEvent } from '../core/events/index.js';
import { stateHashHex, type BookKernel } from '../core/book/index.js';
import type { EventStore, Snapshot } from '../store/event-store.js';
import { IntegrityError } from '../store/errors.js';

export const REPLAY_BATCH_SIZE = 2000;

export interface Restored<S> {
  state: S;
  seq: number;
  head_hash: Hash;
  snapshot_seq: number | null;
  events_replayed: number;
  state_hash: string;
  /** Resolves once the snapshot matches a fresh fold (at once if there was none); rejects with IntegrityError. */
  verified: Promise<{ events_folded: number }>;
}

export type RestoreNote = { event: 'snapshot_ignored'; snapshot_seq: number; reason: string };

/** Folds events from..to onto `state`, checking seq continuity and each chain link from `prev`. */
async function foldRange<S>(
  store: EventStore, stream: string, kernel: BookKernel<S>, state: S, prev: Hash, fromSeq: number, toSeq?: number,
): Promise<{ state: S; seq: number; prev: Hash; n: number }> {
  let seq = fromSeq - 1;
  let n = 0;
  for await (const batch of store.read(stream, { fromSeq, toSeq, batchSize: REPLAY_BATCH_SIZE })) {
    for (const e of batch as StoredEvent[]) {
      if (e.seq !== seq + 1) throw new IntegrityError(`${stream} seq ${e.seq}: expected seq ${seq + 1} (gap in the log)`, stream, e.seq);
      if (!bytesEqual(e.prev_hash, prev) || !bytesEqual(chainHash(prev, e.body), e.hash)) {
        throw new IntegrityError(`${stream} seq ${e.seq}: the hash chain is broken (event altered or out of place)`, stream, e.seq);
      }
      state = kernel.decider.evolve(state, e);
      prev = e.hash;
      seq = e.seq;
      n++;
    }
  }
  return { state, seq, prev, n };
}

async function verifySnapshot<S>(store: EventStore, stream: string, kernel: BookKernel<S>, snap: Snapshot): Promise<{ events_folded: number }> {
  const r = await foldRange(store, stream, kernel, kernel.decider.initialState(), GENESIS_PREV_HASH, 1, snap.seq);
  if (r.seq !== snap.seq) throw new IntegrityError(`${stream} snapshot at seq ${snap.seq}: the log has only ${r.seq} events up to it`, stream, snap.seq);
  if (!bytesEqual(r.prev, snap.head_hash)) {
    throw new IntegrityError(`${stream} snapshot at seq ${snap.seq}: its head hash ${toHex(snap.head_hash)} is not the log's ${toHex(r.prev)}`, stream, snap.seq);
  }
  const fresh = canonicalBytes(kernel.codec.encode(r.state));
  if (!bytesEqual(fresh, snap.state_bytes)) {
    throw new IntegrityError(
      `${stream} snapshot at seq ${snap.seq} does not match a fresh fold of the ${snap.seq} events it covers ` +
        `(snapshot state hash ${stateHashHex(kernel.codec, kernel.codec.decode(snap.state))}, fold ${stateHashHex(kernel.codec, r.state)}): ` +
        'the snapshot is corrupt or the decider changed without a new state version',
      stream, snap.seq,
    );
  }
  return { events_folded: r.n };
}

export async function restore<S>(store: EventStore, stream: string, kernel: BookKernel<S>, onNote: (n: RestoreNote) => void = () => undefined): Promise<Restored<S>> {
  let snap = await store.latestSnapshot(stream);
  let start: { state: S; prev: Hash; seq: number } = { state: kernel.decider.initialState(), prev: GENESIS_PREV_HASH, seq: 0 };
  if (snap) {
    try {
      start = { state: kernel.codec.decode(snap.state), prev: snap.head_hash, seq: snap.seq };
    } catch (e) {
      onNote({ event: 'snapshot_ignored', snapshot_seq: snap.seq, reason: (e as Error).message });
      snap = null;
    }
  }
  const verified = snap ? verifySnapshot(store, stream, kernel, snap) : Promise.resolve({ events_folded: 0 });
  verified.catch(() => undefined); // observed by the runner before its first write; never unhandled
  const tail = await foldRange(store, stream, kernel, start.state, start.prev, start.seq + 1);
  const head = await store.head(stream);
  const seq = tail.n > 0 ? tail.seq : start.seq;
  if (head && (head.seq !== seq || !bytesEqual(head.hash, tail.prev))) {
    throw new IntegrityError(`${stream}: the stream head says seq ${head.seq}, the log replays to seq ${seq} (events missing at the tail?)`, stream, seq);
  }
  return {
    state: tail.state,
    seq,
    head_hash: tail.prev,
    snapshot_seq: snap ? snap.seq : null,
    events_replayed: tail.n,
    state_hash: stateHashHex(kernel.codec, tail.state),
    verified,
  };
}
