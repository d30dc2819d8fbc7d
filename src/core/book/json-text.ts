/**
 * The JSON text pieces the direct payload writers share (./codecs.ts, ./writers.ts): each writes
 * exactly what the JCS encoder (core/canonical) writes for the same value, or refuses what
 * encode() refuses, naming it.
 */
import { integerText } from '../canonical/index.js';

export class EventCodecError extends Error {
  override readonly name = 'EventCodecError';
}

export const q = JSON.stringify; // JCS strings are ECMAScript JSON strings

/**
 * JSON.stringify(v) for a string: printable ASCII without '"' or '\\' (ids, symbols, enum values:
 * nearly every string of an event) is written as is, at about half the cost of the call; anything
 * else goes through JSON.stringify.
 */
export const str = (v: string): string => {
  if (typeof v !== 'string') throw new EventCodecError(`expected a string, got ${typeof v}`);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return q(v);
  }
  return `"${v}"`;
};

/** A string or null (a nullable text or string field). */
export const optStr = (v: string | null): string => (v === null ? 'null' : str(v));

/** Canonical JSON of a safe integer (what the encoder refuses otherwise, encode() refuses too). */
export const intText = (v: number): string => {
  if (!Number.isSafeInteger(v)) throw new EventCodecError(`not a safe integer: ${v}`);
  return integerText(v);
};
