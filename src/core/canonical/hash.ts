/**
 * SHA-256 helpers. node:crypto's createHash is pure computation (no I/O, no randomness), so it
 * is allowed in the kernel; the lint rule forbids the global `crypto` (getRandomValues).
 */
import { createHash, hash as oneShotHash } from 'node:crypto';

export type Hash = Uint8Array; // always 32 bytes

export const HASH_BYTES = 32;
export const ZERO_HASH: Hash = new Uint8Array(HASH_BYTES);

export function sha256(...parts: Uint8Array[]): Hash {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/**
 * toHex(sha256(data)) in one call: node's one-shot hash (no Hash object: ~1 us less per call on
 * the 2-core machine, Node >= 20.12), a string hashed as its UTF-8 bytes (what TextEncoder gives,
 * lone surrogates as U+FFFD too) without encoding it to a buffer first, the digest written as hex
 * directly. The per-signal hashes of a tick (policy evaluation artifact, skill inputs) use it; a
 * domain tag goes in the same buffer as the bytes (see govern.ts inputsHash).
 */
export function sha256Hex(data: Uint8Array | string): string {
  return oneShotHash('sha256', data, 'hex');
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`not lower-case hex: ${JSON.stringify(hex.slice(0, 80))}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * Byte equality through Buffer.compare (native): a JS loop here ran at ~1M compares/s on the
 * mixed Buffer / Uint8Array inputs a verify sees (polymorphic element access), this at ~6M/s.
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}
