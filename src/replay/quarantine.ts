/**
 * Quarantine (F6): a book whose log fails an integrity check (a broken hash chain, a snapshot
 * that disagrees with a fresh fold, a replay divergence) is marked quarantined, and the paper
 * runtime refuses to run it until an operator releases it.
 *
 * Why a separate stream: the broken stream must not be written to (a write would extend a chain
 * that is already wrong and bury the evidence), so the marks live in their own hash-chained,
 * append-only audit stream, AUDIT_STREAM = "audit:quarantine" (a valid stream name under
 * STREAM_RE; replay verify checks its chain like any other stream). Events:
 *   stream.quarantined          {stream, seq, kind, reason, detected_by, detected_by_owner}
 *   stream.quarantine_released  {stream, released_by, reason, quarantine_seq}
 * A stream's quarantine is active when its latest stream.quarantined has no release after it;
 * a release clears every quarantine of that stream recorded before it.
 *
 * Decisions:
 * - Quarantining a stream that is already actively quarantined for the same seq and kind is a
 *   no-op (returns that quarantine's audit seq, written: false): a supervisor restarting a broken
 *   book, or a nightly `replay verify`, does not grow the audit stream. A different seq or kind
 *   appends another event, and the latest one is what status reports.
 * - Reading the status verifies the audit stream's chain (it is small): a tampered audit trail
 *   fails closed with an IntegrityError naming audit:quarantine, it is never read as "released".
 * - Only data failures quarantine (IntegrityError, or an error carrying stream + seq whose exit
 *   code, if any, is 65): a usage error such as folding with the wrong kernel is not the book's
 *   fault.
 * Writers take a short lease on the audit stream (retried with a bounded backoff when another
 * writer holds it); time_ms comes from the caller (src/replay may read a clock; src/core may not).
 */
import { hostname } from 'node:os';
import type { CanonicalValue } from '../core/canonical/index.js';
import type { StoredEvent } from '../core/events/index.js';
import type { EventStore, Lease } from '../store/event-store.js';
import { withShortLease } from '../store/short-lease.js';
import { IntegrityError } from '../store/errors.js';

export const AUDIT_STREAM = 'audit:quarantine';
export const QUARANTINED = 'stream.quarantined';
export const RELEASED = 'stream.quarantine_released';
export const QUARANTINE_KINDS = ['chain', 'snapshot', 'divergence', 'other'] as const;
export type QuarantineKind = (typeof QUARANTINE_KINDS)[number];
/** Bounds on what is recorded (a reason is an error message; it must not be a whole dump). */
export const QUARANTINE_REASON_CHARS_MAX = 2000;
export const QUARANTINE_FIELD_CHARS_MAX = 200;
/** The audit lease: short, and retried this many times with a doubling backoff (capped). */
export const AUDIT_LEASE_TTL_MS = 5000;
export const AUDIT_WRITE_ATTEMPTS = 10;

export interface QuarantineInput {
  stream: string;
  /** The first bad seq, or null when the failure has no position. */
  seq: number | null;
  kind: QuarantineKind;
  reason: string;
  /** What found it: 'replay verify', 'runtime restore', 'replay window', ... */
  detected_by: string;
  /** Who ran it: host:pid for the runtime, cli:user@host for the CLI. */
  owner: string;
  time_ms: number;
}

export interface QuarantineStatus {
  /** The audit stream seq of the active stream.quarantined event. */
  audit_seq: number;
  seq: number | null;
  kind: QuarantineKind;
  reason: string;
  detected_by: string;
  detected_by_owner: string;
  time_ms: number;
}

/** `warden book release` on a stream that is not quarantined (exit 1). */
export class NotQuarantinedError extends Error {
  override readonly name = 'NotQuarantinedError';
  readonly exitCode = 1;
  constructor(readonly stream: string) {
    super(`${stream} is not quarantined: there is nothing to release (see warden book status)`);
  }
}

/** The runtime's refusal to run a quarantined book (exit 65: data). */
export class QuarantinedError extends Error {
  override readonly name = 'QuarantinedError';
  readonly exitCode = 65;
  constructor(readonly stream: string, readonly status: QuarantineStatus) {
    super(describeQuarantine(stream, status));
  }
}

const bounded = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** One message saying what broke, where, who found it, when, and what to do. */
export function describeQuarantine(stream: string, q: QuarantineStatus): string {
  const book = stream.startsWith('book:') ? stream.slice('book:'.length) : null;
  const where = q.seq === null ? 'no specific seq' : `seq ${q.seq}`;
  const todo = book !== null
    ? `inspect: warden replay verify --book ${book}; when repaired or accepted: warden book release --book ${book} --reason TEXT`
    : 'inspect: warden replay verify; release it with the quarantine API when repaired or accepted';
  return (
    `${stream} is quarantined (${q.kind} failure at ${where}): ${q.reason} ` +
    `[detected by ${q.detected_by} (${q.detected_by_owner}) at ${new Date(q.time_ms).toISOString()}, ${AUDIT_STREAM} seq ${q.audit_seq}]; ` +
    `the runtime will not run it until an operator releases it. ${todo}`
  );
}

function str(p: Record<string, unknown>, k: string): string {
  const v = p[k];
  if (typeof v !== 'string') throw new Error(`${AUDIT_STREAM}: ${k} is ${typeof v}, expected a string`);
  return v;
}

/** Folds the audit stream (chain verified) into the active quarantine per stream. */
async function foldAudit(store: EventStore): Promise<{ head: number; active: Map<string, QuarantineStatus> }> {
  const active = new Map<string, QuarantineStatus>();
  const apply = (e: StoredEvent) => {
    const p = e.payload as Record<string, unknown>;
    if (e.type === QUARANTINED) {
      const seq = p.seq;
      active.set(str(p, 'stream'), {
        audit_seq: e.seq, seq: typeof seq === 'number' ? seq : null, kind: str(p, 'kind') as QuarantineKind, reason: str(p, 'reason'),
        detected_by: str(p, 'detected_by'), detected_by_owner: str(p, 'detected_by_owner'), time_ms: e.time_ms,
      });
    } else if (e.type === RELEASED) {
      active.delete(str(p, 'stream'));
    }
  };
  const r = await store.verify(AUDIT_STREAM, undefined, 2000, apply);
  return { head: r.head_seq, active };
}

/** The active (unreleased) quarantine of `stream`, or null. */
export async function quarantineStatus(store: EventStore, stream: string): Promise<QuarantineStatus | null> {
  return (await foldAudit(store)).active.get(stream) ?? null;
}

/** Every active quarantine (stream -> status), for overviews. */
export async function activeQuarantines(store: EventStore): Promise<Map<string, QuarantineStatus>> {
  return (await foldAudit(store)).active;
}

/**
 * Runs `fn` holding the audit stream's lease, with the audit stream folded at the head the lease
 * protects. A lease held elsewhere (or lost to a concurrent writer) is retried, bounded.
 */
async function underAuditLease<T>(
  store: EventStore, owner: string, fn: (lease: Lease, head: number, active: Map<string, QuarantineStatus>) => Promise<T>,
): Promise<T> {
  return withShortLease(store, AUDIT_STREAM, owner, { ttl_ms: AUDIT_LEASE_TTL_MS, attempts_max: AUDIT_WRITE_ATTEMPTS }, async (lease) => {
    const { head, active } = await foldAudit(store);
    return fn(lease, head, active);
  });
}

function checkInput(q: QuarantineInput): void {
  if (!QUARANTINE_KINDS.includes(q.kind)) throw new RangeError(`quarantine kind ${JSON.stringify(q.kind)}: expected one of ${QUARANTINE_KINDS.join(', ')}`);
  if (q.seq !== null && (!Number.isSafeInteger(q.seq) || q.seq < 0)) throw new RangeError(`quarantine seq ${q.seq}: expected null or an integer >= 0`);
  if (!Number.isSafeInteger(q.time_ms) || q.time_ms < 0) throw new RangeError(`quarantine time_ms ${q.time_ms}: expected an integer >= 0`);
  if (q.stream === AUDIT_STREAM) throw new RangeError(`${AUDIT_STREAM} cannot quarantine itself: a broken audit stream fails every status read instead`);
}

/**
 * Records that `stream` is quarantined (in the audit stream, never in `stream`). Returns the
 * audit seq of the active quarantine and whether an event was written (see the no-op rule above).
 */
export async function quarantine(store: EventStore, q: QuarantineInput): Promise<{ audit_seq: number; written: boolean }> {
  checkInput(q);
  return underAuditLease(store, q.owner, async (lease, head, active) => {
    const current = active.get(q.stream);
    if (current && current.seq === q.seq && current.kind === q.kind) return { audit_seq: current.audit_seq, written: false };
    const payload: Record<string, CanonicalValue> = {
      stream: q.stream, seq: q.seq, kind: q.kind, reason: bounded(q.reason, QUARANTINE_REASON_CHARS_MAX),
      detected_by: bounded(q.detected_by, QUARANTINE_FIELD_CHARS_MAX), detected_by_owner: bounded(q.owner, QUARANTINE_FIELD_CHARS_MAX),
    };
    const [stored] = await store.append(lease, head, [{ type: QUARANTINED, time_ms: q.time_ms, payload }]);
    return { audit_seq: stored!.seq, written: true };
  });
}

/** Clears the active quarantine of `stream`; NotQuarantinedError if there is none. */
export async function releaseQuarantine(
  store: EventStore, stream: string, by: string, reason: string, time_ms: number = Date.now(),
): Promise<{ audit_seq: number; quarantine_seq: number; released: QuarantineStatus }> {
  if (!Number.isSafeInteger(time_ms) || time_ms < 0) throw new RangeError(`release time_ms ${time_ms}: expected an integer >= 0`);
  if ((await quarantineStatus(store, stream)) === null) throw new NotQuarantinedError(stream); // without taking (creating) the audit lease
  return underAuditLease(store, by, async (lease, head, active) => {
    const current = active.get(stream);
    if (!current) throw new NotQuarantinedError(stream);
    const payload: Record<string, CanonicalValue> = {
      stream, released_by: bounded(by, QUARANTINE_FIELD_CHARS_MAX), reason: bounded(reason, QUARANTINE_REASON_CHARS_MAX), quarantine_seq: current.audit_seq,
    };
    const [stored] = await store.append(lease, head, [{ type: RELEASED, time_ms, payload }]);
    return { audit_seq: stored!.seq, quarantine_seq: current.audit_seq, released: current };
  });
}

/** The quarantine an error calls for, or null when it is not a data failure of a stream. */
export function quarantineFromError(err: unknown): { seq: number | null; kind: QuarantineKind; reason: string } | null {
  if (!(err instanceof Error)) return null;
  const e = err as Error & { stream?: unknown; seq?: unknown; kind?: unknown; exitCode?: unknown };
  const seq = typeof e.seq === 'number' && Number.isSafeInteger(e.seq) && e.seq >= 0 ? e.seq : null;
  if (err instanceof IntegrityError) {
    return { seq, kind: /snapshot/i.test(err.message) ? 'snapshot' : 'chain', reason: err.message };
  }
  if (typeof e.stream !== 'string' || typeof e.seq !== 'number') return null;
  if (e.exitCode !== undefined && e.exitCode !== 65) return null;
  const kind = QUARANTINE_KINDS.includes(e.kind as QuarantineKind) ? (e.kind as QuarantineKind) : 'divergence';
  return { seq, kind, reason: err.message };
}

/**
 * Quarantines `stream` for `err` when it is a data failure (see quarantineFromError). Never
 * throws over the original failure: returns the audit seq written (or already active), null when
 * the error does not call for a quarantine, or the error the audit write failed with.
 */
export async function quarantineOnFailure(
  store: EventStore, stream: string, err: unknown, detected_by: string,
  opts: { owner?: string; time_ms?: number } = {},
): Promise<{ audit_seq: number; written: boolean } | { error: Error } | null> {
  try {
    const q = quarantineFromError(err);
    if (q === null || stream === AUDIT_STREAM) return null;
    return await quarantine(store, { stream, ...q, detected_by, owner: opts.owner ?? `${hostname()}:${process.pid}`, time_ms: opts.time_ms ?? Date.now() });
  } catch (e) {
    return { error: e instanceof Error ? e : new Error(String(e)) };
  }
}
