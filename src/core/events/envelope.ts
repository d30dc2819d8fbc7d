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
import { isUtf8 } from 'node:buffer';
import { hash as oneShotHash } from 'node:crypto';
import { CanonicalError, canonicalJson, integerText, type CanonicalValue } from '../canonical/index.js';
import { HASH_BYTES, ZERO_HASH, type Hash } from '../canonical/hash.js';

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
  /**
   * The payload's canonical JSON, when whoever made the event already wrote it (the book's
   * direct writers: core/book appendableEvent). It must be exactly canonicalJson(payload): the
   * body is written from it and the payload is not encoded again. Absent: the payload is encoded.
   */
  readonly json?: string;
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

const TAG_BYTES = EVENT_DOMAIN_TAG.byteLength;
/** Bytes before a body in its hashed form: DOMAIN_TAG, then prev_hash. */
export const HASHED_PREFIX_BYTES = TAG_BYTES + 32;

function checkEnvelope(seq: number, event: NewEvent): void {
  if (!EVENT_TYPE_RE.test(event.type)) {
    throw new EventEnvelopeError(`event type ${JSON.stringify(event.type)} must match ${EVENT_TYPE_RE}`);
  }
  checkTimeAndSeq(seq, event);
}

/** checkEnvelope without the type (chainEvents checks a run of one type once). */
function checkTimeAndSeq(seq: number, event: NewEvent): void {
  if (!Number.isSafeInteger(event.time_ms) || event.time_ms < 0) {
    throw new EventEnvelopeError(`event ${event.type}: time_ms must be a non-negative integer (ms since epoch), got ${event.time_ms}`);
  }
  if (!Number.isSafeInteger(seq) || seq < 1) throw new EventEnvelopeError(`seq must be an integer >= 1, got ${seq}`);
}

/**
 * The JCS text of { payload, seq, stream, time_ms, type }, written directly: those keys are
 * already in JCS order (UTF-16 code unit order), seq and time_ms are checked safe integers
 * (JCS writes them as String() does) and stream and type are checked ASCII names, so only the
 * payload needs the generic encoder. Byte-identical to canonicalJson of the object
 * (envelope.unit.test.ts checks it on random envelopes). `quotedStream` is JSON.stringify(stream).
 */
function envelopeJson(quotedStream: string, seq: number, event: NewEvent): string {
  return `{"payload":${payloadJson(event)},"seq":${seq},"stream":${quotedStream},"time_ms":${event.time_ms},"type":${JSON.stringify(event.type)}}`;
}

/**
 * The payload's JCS text, an error naming its path under $.payload; and -0 as time_ms refused
 * as JCS of the whole object would (a checked time_ms is otherwise a safe integer >= 0, written
 * as String() writes it: integerText gives that text).
 */
function payloadJson(event: NewEvent): string {
  let payload = event.json;
  if (payload === undefined) {
    try {
      payload = canonicalJson(event.payload);
    } catch (e) {
      throw e instanceof CanonicalError ? new CanonicalError(`$.payload${e.path.slice(1)}`, e.reason) : e;
    }
  }
  if (Object.is(event.time_ms, -0)) throw new CanonicalError('$.time_ms', 'negative zero'); // as JCS of the object
  return payload;
}

function checkBodySize(event: NewEvent, seq: number, bytes: number): void {
  if (bytes > EVENT_BODY_BYTES_MAX) {
    throw new EventEnvelopeError(`event ${event.type} at seq ${seq}: body is ${bytes} bytes (max ${EVENT_BODY_BYTES_MAX})`);
  }
}

/** The canonical bytes of an event at (stream, seq). Validates type, time and size. */
export function encodeEventBody(stream: string, seq: number, event: NewEvent): Uint8Array {
  checkEnvelope(seq, event);
  const body = Buffer.from(envelopeJson(JSON.stringify(stream), seq, event), 'utf8');
  checkBodySize(event, seq, body.byteLength);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * hash = sha256(DOMAIN_TAG || prev_hash || body), the three laid out in one buffer and hashed in
 * one call (crypto.hash). Not a hot path: chainBatch hashes its own layout, verify the row as read
 * (hashedRowMatches); this serves messages, tests and tools.
 */
export function chainHash(prevHash: Hash, body: Uint8Array): Hash {
  const b = Buffer.allocUnsafe(HASHED_PREFIX_BYTES + body.byteLength);
  b.set(EVENT_DOMAIN_TAG, 0);
  b.set(prevHash, TAG_BYTES);
  b.set(body, HASHED_PREFIX_BYTES);
  return oneShotHash('sha256', b, 'buffer');
}

/**
 * Whether a row `b` = DOMAIN_TAG || prev_hash || body || hash (a verify that reads the bytes so
 * from the database) holds the sha256 of its first `end` bytes at `end`: the digest is taken over
 * the row as read (one view, no copy into a scratch buffer) and compared in place.
 */
export function hashedRowMatches(b: Uint8Array, end: number): boolean {
  if (b.length - end !== HASH_BYTES) return false;
  const digest = oneShotHash('sha256', b.subarray(0, end), 'binary');
  for (let i = 0; i < HASH_BYTES; i++) if (digest.charCodeAt(i) !== b[end + i]) return false;
  return true;
}

/**
 * Where chainEvents lays a batch out before copying it to a buffer of its exact size: reused, so
 * the bodies are written once, with no separate pass to measure them first. Kept between calls
 * while at most CHAIN_SCRATCH_KEEP_BYTES (a larger batch gets a scratch of its own, dropped).
 */
const CHAIN_SCRATCH_KEEP_BYTES = 4 << 20;
let chainScratch = Buffer.allocUnsafe(256 << 10);
/** UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units). */
const UTF8_BYTES_PER_UNIT_MAX = 3;

/**
 * Buffer's own per-encoding writers, which Buffer.prototype.write dispatches to after checking its
 * arguments: that dispatch measured more CPU than the two writes themselves (~8 % of a chain).
 * Not in Node's typings; used when present, Buffer.write otherwise (same bytes either way).
 */
interface EncodingWriters {
  utf8Write(text: string, offset: number): number;
  latin1Write(text: string, offset: number, length: number): number;
}
const writers = Buffer.prototype as unknown as Partial<EncodingWriters>;
const DIRECT_WRITES = typeof writers.utf8Write === 'function' && typeof writers.latin1Write === 'function';
const writeUtf8 = (b: Buffer, text: string, at: number): number => (DIRECT_WRITES ? (b as unknown as EncodingWriters).utf8Write(text, at) : b.write(text, at));
const writeLatin1 = (b: Buffer, text: string, at: number, length: number): void => {
  if (DIRECT_WRITES) (b as unknown as EncodingWriters).latin1Write(text, at, length);
  else b.write(text, at, length, 'latin1');
};

/**
 * Places events after (headSeq, headHash): assigns seqs, encodes and chains them.
 * Pure: the store calls this inside its append transaction with the head it just locked.
 *
 * One pass, event after event: each body is encoded (envelopeJson's text, its constant parts
 * built once per call and per type) and written straight into a reused scratch buffer laid out
 * as tag || prev_hash || body for every event, where each prev_hash slot holds the hash of the
 * event before (and the last hash goes after the last body); each event is hashed in one call
 * over its slot, the digest taken as a 'binary' (latin1) string and written into the next slot
 * (a heap string instead of a Buffer with its own backing store per event). Then the batch is
 * copied once into a buffer of its exact size, and bodies and hashes are views of that buffer
 * (they keep it alive while any is held). Measuring each body first (Buffer.byteLength) and
 * holding every text until a second pass cost more than the copy. The first invalid event
 * throws, as before, and nothing is returned.
 */
export function chainEvents(stream: string, headSeq: number, headHash: Hash, events: readonly NewEvent[]): StoredEvent[] {
  return chainBatch(stream, headSeq, headHash, events).events;
}

/**
 * A chained batch with its bytes as chainBatch laid them out, for a writer that sends the batch as
 * one value (the store's append: one bytea and offsets instead of a bytea per event and field).
 */
export interface ChainedBatch {
  readonly events: StoredEvent[];
  /** Per event: the domain tag, its prev_hash, its body; the last event's hash after its body. */
  readonly bytes: Buffer;
  /** Where each event's body starts in `bytes` (its prev_hash is the HASH_BYTES before). */
  readonly bodyAt: readonly number[];
  readonly bodySize: readonly number[];
  /** Where each event's hash is in `bytes`: the next event's prev_hash, or after the last body. */
  readonly hashAt: readonly number[];
}

/**
 * A chained event made from one that carries its payload's JSON (the store path): the payload is
 * read from that event only if asked for (an appendable event builds it only then), since the
 * callers of an append use the seqs and hashes, not the payloads they handed over.
 */
class ChainedEvent implements StoredEvent {
  constructor(
    readonly stream: string,
    readonly seq: number,
    private readonly source: NewEvent,
    readonly body: Uint8Array,
    readonly prev_hash: Hash,
    readonly hash: Hash,
  ) {}
  get type(): string {
    return this.source.type;
  }
  get time_ms(): number {
    return this.source.time_ms;
  }
  get payload(): CanonicalValue {
    return this.source.payload;
  }
}

/**
 * chainEvents, with the batch's bytes and where each part of each event is in them. `bytesMax`:
 * the batch is refused (RangeError) as soon as its bytes pass it, before more are laid out.
 */
export function chainBatch(stream: string, headSeq: number, headHash: Hash, events: readonly NewEvent[], bytesMax = Number.POSITIVE_INFINITY): ChainedBatch {
  checkStreamName(stream);
  const streamThenTime = `,"stream":${JSON.stringify(stream)},"time_ms":`;
  const n = events.length;
  const bodyAt = new Array<number>(n);
  const bodySize = new Array<number>(n);
  let b = chainScratch;
  b.set(headHash, TAG_BYTES);
  let at = 0;
  let type = '';
  let typeTail = ''; // ,"type":"<type>"} for the current run of one type (checked once per run)
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    const seq = headSeq + i + 1;
    if (e.type !== type || i === 0) {
      checkEnvelope(seq, e);
      type = e.type;
      typeTail = `,"type":${JSON.stringify(type)}}`;
    } else {
      checkTimeAndSeq(seq, e);
    }
    // The body in three writes: the opening's bytes, the payload's UTF-8, and the ASCII tail (digits
    // and checked names) as latin1; one concatenated text would be flattened into a copy first.
    const json = payloadJson(e);
    const tail = ',"seq":' + seq + streamThenTime + integerText(e.time_ms) + typeTail;
    const units = PAYLOAD_OPENING.length + json.length + tail.length;
    if (units > EVENT_BODY_BYTES_MAX) checkBodySize(e, seq, PAYLOAD_OPENING.length + Buffer.byteLength(json, 'utf8') + tail.length); // throws: never fewer bytes than units
    const need = at + HASHED_PREFIX_BYTES + UTF8_BYTES_PER_UNIT_MAX * units + HASH_BYTES;
    if (need > b.byteLength) {
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * b.byteLength));
      b.copy(grown, 0, 0, at + HASHED_PREFIX_BYTES); // what is written, and this event's prev_hash slot
      b = grown;
      if (b.byteLength <= CHAIN_SCRATCH_KEEP_BYTES) chainScratch = b;
    }
    const start = at;
    b.set(EVENT_DOMAIN_TAG, start); // prev_hash (start + TAG_BYTES) is already in place
    at += HASHED_PREFIX_BYTES;
    b.set(PAYLOAD_OPENING, at);
    let size = PAYLOAD_OPENING.length + writeUtf8(b, json, at + PAYLOAD_OPENING.length);
    writeLatin1(b, tail, at + size, tail.length);
    size += tail.length;
    checkBodySize(e, seq, size);
    bodyAt[i] = at;
    bodySize[i] = size;
    at += size;
    if (at + HASH_BYTES > bytesMax) throw new RangeError(`append: more than ${bytesMax} bytes of events in one call (at event ${i + 1} of ${n}); nothing was written`);
    // the digest goes to the next event's prev_hash slot (after its tag), or after the last body
    writeLatin1(b, oneShotHash('sha256', b.subarray(start, at), 'binary'), i + 1 < n ? at + TAG_BYTES : at, HASH_BYTES);
  }
  const end = at + HASH_BYTES;
  const batch = Buffer.allocUnsafe(end);
  b.copy(batch, 0, 0, end);
  const out = new Array<StoredEvent>(n);
  const hashAt = new Array<number>(n);
  let prev = headHash;
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    const bodyEnd = bodyAt[i]! + bodySize[i]!;
    const h = i + 1 < n ? bodyEnd + TAG_BYTES : bodyEnd;
    hashAt[i] = h;
    const hash = new Uint8Array(batch.buffer, batch.byteOffset + h, HASH_BYTES);
    const body = new Uint8Array(batch.buffer, batch.byteOffset + bodyAt[i]!, bodySize[i]!);
    out[i] = e.json === undefined
      ? { stream, seq: headSeq + i + 1, type: e.type, time_ms: e.time_ms, payload: e.payload, body, prev_hash: prev, hash }
      : new ChainedEvent(stream, headSeq + i + 1, e, body, prev, hash);
    prev = hash;
  }
  return { events: out, bytes: batch, bodyAt, bodySize, hashAt };
}

/** Buffers, like the bodies read back: element reads stay monomorphic in the loops below. */
const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const PAYLOAD_OPENING = ascii('{"payload":');
const SEQ_KEY = ascii(',"seq":');
const TYPE_KEY = ascii(',"type":"');
const CLOSING = ascii('"}');
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** Digits of a safe integer (2^53 - 1 has 16). */
const INTEGER_DIGITS_MAX = 16;

/** Whether `b` holds `bytes` at `at`. */
function holds(b: Uint8Array, at: number, bytes: Uint8Array): boolean {
  const n = bytes.length; // .length, hoisted: byteLength in the loop test measured ~5x slower on Buffers
  if (at < 0 || at + n > b.length) return false;
  for (let i = 0; i < n; i++) if (b[at + i] !== bytes[i]) return false;
  return true;
}

/**
 * Whether the decimal integer written just before `end` in `b` (digits, no leading zero, no
 * sign) is `value`. Returns where its digits start, or -1.
 */
function integerBefore(b: Uint8Array, end: number, value: number, floor = 0): number {
  let start = end;
  while (start > floor && end - start < INTEGER_DIGITS_MAX + 1 && b[start - 1]! >= DIGIT_0 && b[start - 1]! <= DIGIT_9) start--;
  const digits = end - start;
  if (digits === 0 || digits > INTEGER_DIGITS_MAX || (digits > 1 && b[start] === DIGIT_0)) return -1;
  let n = 0;
  for (let i = start; i < end; i++) n = n * 10 + (b[i]! - DIGIT_0);
  return n === value ? start : -1;
}

/**
 * A check of event bodies against their columns for one stream, without parsing the bodies:
 * whether `body`, envelope bytes as encodeEventBody writes them, carries these seq, type and
 * time_ms (and this stream). Such a body is `{"payload":` + payload + the JCS text of the other
 * members, `,"seq":S,"stream":"X","time_ms":T,"type":"Y"}`: integers without leading zeros and
 * names that cannot contain a quote. Read back byte by byte from the end, that tail is equal to
 * the one the columns give exactly when every field is, so this answers what decoding the body
 * and comparing its fields would, for such a body; bytes that are not one must be refused by
 * their hash first (verify checks the hash before). No allocation per call.
 */
export function envelopeColumnsCheck(stream: string): (body: Uint8Array, seq: number, type: string, time_ms: number, start?: number, end?: number) => boolean {
  if (!STREAM_RE.test(stream)) return () => false; // no event can have been written to it
  const streamThenTime = ascii(`,"stream":${JSON.stringify(stream)},"time_ms":`); // names are ASCII
  let validType = ''; // the last type that passed EVENT_TYPE_RE: runs of one type test it once
  // the body is b[start, end) (all of b by default: a row read as tag || prev_hash || body || hash passes its bounds)
  return (b, seq, type, time_ms, start = 0, end = b.length) => {
    if (type !== validType) {
      if (!EVENT_TYPE_RE.test(type)) return false; // a checked type is ASCII: one byte per character
      validType = type;
    }
    if (start < 0 || end > b.length || end - start < PAYLOAD_OPENING.length + CLOSING.length) return false;
    if (!holds(b, start, PAYLOAD_OPENING)) return false;
    let at = end - CLOSING.length;
    if (!holds(b, at, CLOSING)) return false;
    at -= type.length;
    if (at < start) return false;
    for (let i = 0; i < type.length; i++) if (b[at + i] !== type.charCodeAt(i)) return false;
    at -= TYPE_KEY.length;
    if (at < start || !holds(b, at, TYPE_KEY)) return false;
    at = integerBefore(b, at, time_ms, start);
    if (at < 0) return false;
    at -= streamThenTime.length;
    if (at < start || !holds(b, at, streamThenTime)) return false;
    at = integerBefore(b, at, seq, start);
    if (at < 0) return false;
    at -= SEQ_KEY.length;
    return at >= start + PAYLOAD_OPENING.length && holds(b, at, SEQ_KEY);
  };
}

const UTF8_BOM_BYTES = 3;

/**
 * Decodes stored canonical bytes back into the envelope fields. Fatal on invalid UTF-8, and a
 * leading BOM is dropped, as TextDecoder('utf-8', { fatal: true }) does (same results, ~2x
 * faster: native validation, then Buffer's decoder).
 */
export function decodeEventBody(body: Uint8Array): { stream: string; seq: number; type: string; time_ms: number; payload: CanonicalValue } {
  if (!isUtf8(body)) throw new TypeError('The encoded data was not valid for encoding utf-8');
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const start = b.byteLength >= UTF8_BOM_BYTES && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? UTF8_BOM_BYTES : 0;
  const parsed = JSON.parse(b.toString('utf8', start)) as {
    stream: string; seq: number; type: string; time_ms: number; payload: CanonicalValue;
  };
  return parsed;
}
