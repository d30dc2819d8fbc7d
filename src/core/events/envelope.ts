/**
 * The event envelope and its hash chain.
 *
 * Every event of a stream is encoded as the JCS bytes of
 *   { stream, seq, type, time_ms, payload }
 * and chained: hash = sha256(DOMAIN_TAG || prev_hash || body). The body covers the stream, the
 * position and the type, so moving, re-typing or re-homing an event breaks its hash, not only
 * editing its payload. The first event of a stream chains from 32 zero bytes. time_ms is event
 * time (a bar close, an inbox receipt time recorded as input), never the wall clock at append.
 */
import { canonicalBytes, type CanonicalValue } from '../canonical/index.js';
import { sha256, ZERO_HASH, type Hash } from '../canonical/hash.js';

/** Domain separation: these bytes can never be confused with another hash of ours. */
export const EVENT_DOMAIN_TAG: Uint8Array = new TextEncoder().encode('warden.event.v1\u0000');
export const GENESIS_PREV_HASH: Hash = ZERO_HASH;

/** Limits: an event type is short snake/dotted text; a body is at most 1 MiB. */
export const EVENT_TYPE_RE = /^[a-z][a-z0-9_.]{0,63}$/;
export const EVENT_BODY_BYTES_MAX = 1 << 20;
export const STREAM_RE = /^[a-z0-9][a-z0-9_.:-]{0,127}$/;

/** An event as a decider emits it: no position yet. */
export interface NewEvent<T extends string = string, P extends CanonicalValue = CanonicalValue> {
  readonly type: T;
  readonly time_ms: number;
  readonly payload: P;
}

/** An event at its place in a stream, with its chain links. */
export interface StoredEvent extends NewEvent {
  readonly stream: string;
  readonly seq: number;
  readonly body: Uint8Array; // the exact canonical bytes that were hashed
  readonly prev_hash: Hash;
  readonly hash: Hash;
}

export class EventEnvelopeError extends Error {
  override readonly name = 'EventEnvelopeError';
}

export function checkStreamName(stream: string): void {
  if (!STREAM_RE.test(stream)) {
    throw new EventEnvelopeError(`stream name ${JSON.stringify(stream)} must match ${STREAM_RE} (e.g. "book:main")`);
  }
}

/** The canonical bytes of an event at (stream, seq). Validates type, time and size. */
export function encodeEventBody(stream: string, seq: number, event: NewEvent): Uint8Array {
  if (!EVENT_TYPE_RE.test(event.type)) {
    throw new EventEnvelopeError(`event type ${JSON.stringify(event.type)} must match ${EVENT_TYPE_RE}`);
  }
  if (!Number.isSafeInteger(event.time_ms) || event.time_ms < 0) {
    throw new EventEnvelopeError(`event ${event.type}: time_ms must be a non-negative integer (ms since epoch), got ${event.time_ms}`);
  }
  if (!Number.isSafeInteger(seq) || seq < 1) throw new EventEnvelopeError(`seq must be an integer >= 1, got ${seq}`);
  const body = canonicalBytes({ payload: event.payload, seq, stream, time_ms: event.time_ms, type: event.type });
  if (body.byteLength > EVENT_BODY_BYTES_MAX) {
    throw new EventEnvelopeError(`event ${event.type} at seq ${seq}: body is ${body.byteLength} bytes (max ${EVENT_BODY_BYTES_MAX})`);
  }
  return body;
}

export function chainHash(prevHash: Hash, body: Uint8Array): Hash {
  return sha256(EVENT_DOMAIN_TAG, prevHash, body);
}

/**
 * Places events after (headSeq, headHash): assigns seqs, encodes and chains them.
 * Pure: the store calls this inside its append transaction with the head it just locked.
 */
export function chainEvents(stream: string, headSeq: number, headHash: Hash, events: readonly NewEvent[]): StoredEvent[] {
  checkStreamName(stream);
  const out: StoredEvent[] = [];
  let prev = headHash;
  let seq = headSeq;
  for (const e of events) {
    seq += 1;
    const body = encodeEventBody(stream, seq, e);
    const hash = chainHash(prev, body);
    out.push({ stream, seq, type: e.type, time_ms: e.time_ms, payload: e.payload, body, prev_hash: prev, hash });
    prev = hash;
  }
  return out;
}

/** Decodes stored canonical bytes back into the envelope fields (fatal on invalid UTF-8). */
export function decodeEventBody(body: Uint8Array): { stream: string; seq: number; type: string; time_ms: number; payload: CanonicalValue } {
  const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as {
    stream: string; seq: number; type: string; time_ms: number; payload: CanonicalValue;
  };
  return parsed;
}
