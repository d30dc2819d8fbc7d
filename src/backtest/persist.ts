/**
 * `warden backtest --persist`: the run's steps go to the event store AS THEY ARE MADE, under a
 * writer lease, in appends of whole steps of at most APPEND_EVENTS_MAX events (each atomic); then
 * the stream's chain is verified and its events read back and re-folded, which must give the run's
 * fill fingerprint and state hash (else exit 65). The stream is a book stream like a runtime's
 * (step.started, book.started with the config, the recorded candles' references), so `warden
 * replay verify / hour / window / manifest --book backtest:<book>:<run>` re-execute it.
 *
 * Stream: `backtest:<book_id>:<run id>`, run id = the first 16 hex of sha256 over
 * "warden.backtest.run.v2\0", the config hash, the [from, to) range and, per symbol, the number of
 * stored candles in range and their first and last open time. So the same config over the same
 * stored candles always names the same stream, known before the run (candles are append-only; a
 * backfill in the range changes the count, hence the name).
 * Idempotent: a stream that already holds the run's first N events (a persist interrupted between
 * appends, or the whole run) is continued after them (status resumed) or left as is
 * (already_persisted): the run is recomputed and its chain compared at seq N, nothing is appended
 * twice. A stream holding anything else is refused (exit 65) and nothing is written.
 */
import { hostname } from 'node:os';
import { canonicalBytes } from '../core/canonical/index.js';
import { sha256, toHex, bytesEqual, type Hash } from '../core/canonical/hash.js';
import { chainEvents, GENESIS_PREV_HASH, type NewEvent } from '../core/events/index.js';
import { artifactsOf, bookKernel, decodeEvent, appendableEvent, type BookEvent, type ResolvedBook } from '../core/book/index.js';
import type { Db } from '../store/db.js';
import { APPEND_BYTES_MAX, type EventStore, type Lease, type NewArtifact } from '../store/event-store.js';
import type { StepSink } from '../runtime/step-loop.js';
import { BacktestError } from './run.js';
import { FillFingerprint } from './summary.js';

export const RUN_ID_DOMAIN_TAG = new TextEncoder().encode('warden.backtest.run.v2\u0000');
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
  /** From the events read back from the store (must equal the run's). */
  readonly fingerprint: string;
  readonly state_hash: string;
}

/** The run's stream name, from what the run reads (see the file header). */
export async function runStreamName(db: Db, book: ResolvedBook, from_ms: number | null, to_ms: number | null): Promise<string> {
  const { CandleStore } = await import('../store/candle-store.js');
  const candles = new CandleStore(db);
  const series = [];
  for (const symbol of book.symbols) {
    const s = await candles.rangeStats(symbol, book.interval_s, from_ms ?? 0, to_ms ?? Number.MAX_SAFE_INTEGER);
    series.push({ symbol, rows: s.rows, first_open_ms: s.first_open_ms, last_open_ms: s.last_open_ms });
  }
  const id = toHex(sha256(RUN_ID_DOMAIN_TAG, canonicalBytes({ config_hash: book.config_hash, from_ms, to_ms, series }))).slice(0, 16);
  return `backtest:${book.config.book_id}:${id}`;
}

/** An event's envelope around its payload, and its tag and hashes in a chained batch, in UTF-16 units at most (stream <= 128, type <= 64, two integers). */
const ENVELOPE_UNITS_MAX = 512;

/** The store sink: compares the already-stored prefix by chain hash, appends the rest in batches of whole steps. */
export class PersistSink implements StepSink {
  private produced = 0;
  private prev: Hash = GENESIS_PREV_HASH;
  private buffer: NewEvent[] = [];
  /** UTF-16 units of the buffered events' payload JSON and envelopes (a bound on their bytes / 3). */
  private bufferUnits = 0;
  private artifacts: NewArtifact[] = [];
  private lease: Lease | null = null;
  appended = 0;

  constructor(
    private readonly store: EventStore,
    readonly stream: string,
    /** Events already stored under this name, and the hash of the last. */
    private readonly stored: { seq: number; hash: Hash } | null,
    private readonly appendMax: number,
    private readonly onProgress?: (appended: number) => void,
  ) {}

  get events(): number {
    return this.produced;
  }

  async write(events: readonly BookEvent[]): Promise<void> {
    const encoded = events.map(appendableEvent);
    const storedSeq = this.stored?.seq ?? 0;
    if (this.produced < storedSeq) {
      // part of what is stored already: chain it here and compare where the stored part ends
      const upTo = Math.min(encoded.length, storedSeq - this.produced);
      const chained = chainEvents(this.stream, this.produced, this.prev, encoded.slice(0, upTo));
      this.prev = chained[chained.length - 1]!.hash;
      this.produced += upTo;
      if (this.produced === storedSeq && !bytesEqual(this.prev, this.stored!.hash)) {
        throw new BacktestError(`${this.stream} holds ${storedSeq} events that are not this run's first ${storedSeq} (head hash ${toHex(this.stored!.hash)}); nothing was written`);
      }
      if (upTo === encoded.length) return;
      if (upTo !== 0) throw new BacktestError(`${this.stream}: its ${storedSeq} stored events end inside a step of this run: it is not this run; nothing was written`);
    }
    let units = 0;
    for (const e of encoded) units += (e.json?.length ?? 0) + ENVELOPE_UNITS_MAX;
    // whole steps, at most appendMax events and APPEND_BYTES_MAX bytes an append (UTF-8: <= 3 bytes a unit)
    if (this.buffer.length + encoded.length > this.appendMax || 3 * (this.bufferUnits + units) > APPEND_BYTES_MAX) await this.flush();
    for (const a of artifactsOf(events)) this.artifacts.push({ ...a, index: a.index + this.buffer.length });
    for (const e of encoded) this.buffer.push(e);
    this.bufferUnits += units;
    this.produced += encoded.length;
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    this.lease ??= await this.store.acquireLease(this.stream, `warden backtest (${hostname()}:${process.pid})`, PERSIST_LEASE_TTL_MS);
    const from = this.produced - this.buffer.length;
    await this.store.append(this.lease, from, this.buffer, this.artifacts);
    this.appended += this.buffer.length;
    this.buffer = [];
    this.bufferUnits = 0;
    this.artifacts = [];
    this.onProgress?.(this.appended);
    await this.store.renewLease(this.lease, PERSIST_LEASE_TTL_MS);
  }

  /** Appends what is left and gives the lease back. The stored stream must not be longer than the run. */
  async finish(): Promise<void> {
    try {
      if ((this.stored?.seq ?? 0) > this.produced) {
        throw new BacktestError(`${this.stream} already holds ${this.stored!.seq} events, this run has ${this.produced}: it is not this run; nothing was written`);
      }
      await this.flush();
    } finally {
      await this.release();
    }
  }

  async release(): Promise<void> {
    if (this.lease !== null) await this.store.releaseLease(this.lease).catch(() => undefined);
    this.lease = null;
  }

  status(): PersistStatus {
    const stored = this.stored?.seq ?? 0;
    return stored === 0 ? 'persisted' : stored === this.produced ? 'already_persisted' : 'resumed';
  }
}

/** Verifies the stored run's chain and re-folds it: its fingerprint and state hash must be the run's. */
export async function verifyPersisted(store: EventStore, sink: PersistSink, expected: { fingerprint: string; state_hash: string }, onProgress?: (n: number) => void): Promise<PersistResult> {
  const { stream } = sink;
  const kernel = bookKernel(null); // folding needs no config
  let state = kernel.decider.initialState();
  const fills = new FillFingerprint();
  const v = await store.verify(stream, onProgress, READ_BACK_BATCH, (e) => {
    const ev = decodeEvent(e);
    state = kernel.decider.evolve(state, ev);
    fills.add(ev);
  });
  if (v.events !== sink.events) throw new BacktestError(`${stream}: ${v.events} events stored, the run has ${sink.events}`);
  const fingerprint = fills.hex();
  const state_hash = kernel.stateHash(state);
  if (fingerprint !== expected.fingerprint || state_hash !== expected.state_hash) {
    throw new BacktestError(`${stream}: the events read back fold to fingerprint ${fingerprint} / state hash ${state_hash}, the run has ${expected.fingerprint} / ${expected.state_hash}`);
  }
  return { stream, status: sink.status(), events: sink.events, appended: sink.appended, head_hash: toHex(v.head_hash), fingerprint, state_hash };
}
