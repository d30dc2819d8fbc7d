/**
 * `warden backtest --persist`: a run's engine events go to the event store, under a writer lease,
 * in appends of at most APPEND_EVENTS_MAX, then are read back, their hash chain verified and
 * re-folded (evolveEngine from the initial state): the fold's state hash and fill fingerprint
 * must equal the in-memory run's, or the command fails (exit 65).
 *
 * Stream: `backtest:<book_id>:<run id>`, run id = the first 16 hex of
 * sha256("warden.backtest.run.v1\0" || fingerprint || state_hash). The state hash covers the
 * config hash, the last bar time, the bar count and the ledger; the fingerprint every fill. So
 * the same config over the same candles names the same stream, and a different run another.
 * Idempotent: persisting a run that is already stored appends nothing (status
 * already_persisted) and still verifies and re-folds it; a stream holding a PREFIX of the run
 * (a persist interrupted between appends: each append is atomic) is completed from its head
 * (status resumed). A stream that holds anything else under that name is refused (exit 65).
 */
import { hostname } from 'node:os';
import { chainEvents, GENESIS_PREV_HASH, type NewEvent } from '../../core/events/index.js';
import { bytesEqual, sha256, toHex } from '../../core/canonical/hash.js';
import { evolveEngine, fillsFingerprint, initialEngineState, engineStateHash, type EngineEvent } from '../../core/engine/index.js';
import type { Db } from '../../store/db.js';
import { CliError, EXIT } from '../context.js';

export const RUN_ID_DOMAIN_TAG = new TextEncoder().encode('warden.backtest.run.v1\u0000');
/** Lease on the run's stream while appending; renewed after every append. */
export const PERSIST_LEASE_TTL_MS = 120_000;
export const READ_BACK_BATCH = 5_000;

export type PersistStatus = 'persisted' | 'already_persisted' | 'resumed';

export interface PersistResult {
  readonly stream: string;
  readonly status: PersistStatus;
  readonly events: number;
  readonly appended: number;
  readonly head_hash: string;
  /** From the events read back from the store (must equal the in-memory run's). */
  readonly fingerprint: string;
  readonly state_hash: string;
}

export function runStreamName(book_id: string, fingerprint: string, state_hash: string): string {
  const enc = new TextEncoder();
  const id = toHex(sha256(RUN_ID_DOMAIN_TAG, enc.encode(fingerprint), enc.encode(state_hash))).slice(0, 16);
  return `backtest:${book_id}:${id}`;
}

export interface PersistInput {
  readonly book_id: string;
  readonly events: readonly NewEvent[];
  readonly fingerprint: string;
  readonly state_hash: string;
  readonly onProgress?: (phase: 'append' | 'verify' | 'fold', done: number, total: number) => void;
}

export async function persistRun(db: Db, input: PersistInput): Promise<PersistResult> {
  const { EventStore, APPEND_EVENTS_MAX } = await import('../../store/event-store.js');
  const store = new EventStore(db);
  const { events } = input;
  const total = events.length;
  const stream = runStreamName(input.book_id, input.fingerprint, input.state_hash);
  const head = await store.head(stream);
  const stored = head?.seq ?? 0;
  if (stored > total) throw new CliError(`${stream} already holds ${stored} events, this run has ${total}: it is not this run; nothing was written`, EXIT.data);
  if (head !== null && stored > 0) {
    const prefix = chainEvents(stream, 0, GENESIS_PREV_HASH, events.slice(0, stored));
    if (!bytesEqual(prefix[stored - 1]!.hash, head.hash)) {
      throw new CliError(`${stream} holds ${stored} events that are not this run's first ${stored} (head hash ${toHex(head.hash)}); nothing was written`, EXIT.data);
    }
  }
  let appended = 0;
  if (stored < total) {
    const lease = await store.acquireLease(stream, `warden backtest (${hostname()}:${process.pid})`, PERSIST_LEASE_TTL_MS);
    try {
      for (let seq = stored; seq < total; seq += APPEND_EVENTS_MAX) {
        const batch = events.slice(seq, seq + APPEND_EVENTS_MAX);
        await store.append(lease, seq, batch);
        appended += batch.length;
        input.onProgress?.('append', seq + batch.length, total);
        await store.renewLease(lease, PERSIST_LEASE_TTL_MS);
      }
    } finally {
      await store.releaseLease(lease);
    }
  }
  const verified = await store.verify(stream, (n) => input.onProgress?.('verify', n, total));
  if (verified.events !== total) throw new CliError(`${stream}: ${verified.events} events stored, the run has ${total}`, EXIT.data);
  let state = initialEngineState();
  const fills: EngineEvent[] = [];
  let folded = 0;
  for await (const batch of store.read(stream, { batchSize: READ_BACK_BATCH })) {
    for (const e of batch) {
      const ev: EngineEvent = { type: e.type as EngineEvent['type'], time_ms: e.time_ms, payload: e.payload };
      state = evolveEngine(state, ev);
      if (ev.type === 'fill.executed') fills.push(ev);
    }
    folded += batch.length;
    input.onProgress?.('fold', folded, total);
  }
  const fingerprint = fillsFingerprint(fills);
  const state_hash = engineStateHash(state);
  if (fingerprint !== input.fingerprint || state_hash !== input.state_hash) {
    throw new CliError(
      `${stream}: the events read back fold to fingerprint ${fingerprint} / state hash ${state_hash}, the run in memory has ${input.fingerprint} / ${input.state_hash}`,
      EXIT.data,
    );
  }
  const status: PersistStatus = stored === 0 ? 'persisted' : stored === total ? 'already_persisted' : 'resumed';
  return { stream, status, events: total, appended, head_hash: toHex(verified.head_hash), fingerprint, state_hash };
}
