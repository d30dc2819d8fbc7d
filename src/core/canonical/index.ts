/**
 * Canonical encoding: RFC 8785 (JCS) over JSON values, as UTF-8 bytes.
 *
 * Hashes are taken over these exact bytes, never over a database's re-rendering (jsonb reorders
 * keys and normalizes numbers). To keep money out of binary floats, the only numbers allowed are
 * safe integers: amounts travel as canonical decimal strings (see ../money). Anything else
 * (non-integer or unsafe numbers, undefined, functions, bigint, Date, Map...) is refused with the
 * path of the offending field, so a bad value can never be hashed silently.
 */
import canonicalize from 'canonicalize';

export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue };

export class CanonicalError extends Error {
  override readonly name = 'CanonicalError';
  constructor(readonly path: string, readonly reason: string) {
    super(`cannot canonicalize ${path}: ${reason}`);
  }
}

const encoder = new TextEncoder();

/** Throws CanonicalError naming the first field that is not canonical-safe. */
export function assertCanonical(value: unknown, path = '$'): asserts value is CanonicalValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new CanonicalError(path, `number ${String(value)} is not a safe integer (amounts must be decimal strings)`);
    }
    if (Object.is(value, -0)) throw new CanonicalError(path, 'negative zero');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertCanonical(v, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalError(path, `object of type ${proto?.constructor?.name ?? 'unknown'} is not plain JSON`);
    }
    for (const [k, v] of Object.entries(value)) assertCanonical(v, `${path}.${k}`);
    return;
  }
  throw new CanonicalError(path, `${typeof value} is not JSON`);
}

/** The JCS text of a value (after checking it is canonical-safe). */
export function canonicalJson(value: unknown): string {
  assertCanonical(value);
  const text = canonicalize(value);
  if (text === undefined) throw new CanonicalError('$', 'value has no JSON form');
  return text;
}

/** The JCS UTF-8 bytes of a value: what is hashed and stored. */
export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}
