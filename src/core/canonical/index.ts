/**
 * Canonical encoding: RFC 8785 (JCS) over JSON values, as UTF-8 bytes.
 *
 * Hashes are taken over these exact bytes, never over a database's re-rendering (jsonb reorders
 * keys and normalizes numbers). To keep money out of binary floats, the only numbers allowed are
 * safe integers: amounts travel as canonical decimal strings (see ../money). Anything else
 * (non-integer or unsafe numbers, undefined, functions, bigint, Date, Map...) is refused with the
 * path of the offending field, so a bad value can never be hashed silently.
 */

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

/**
 * The JCS text of a value, validated and serialized in one pass.
 *
 * Hand-written because it is the hot path (every event is encoded once): the generic
 * `canonicalize` library plus a separate validation walk ran at ~40k events/s on the engine's
 * events; this runs several times faster (bench/canonical.ts). It is exact RFC 8785 for the only
 * values we allow (null, booleans, safe integers, strings, arrays, plain objects): keys sorted by
 * UTF-16 code units (what Array.prototype.sort does with no comparator), strings and integers
 * as ECMAScript JSON.stringify writes them. canonical.unit.test.ts checks it against the
 * `canonicalize` library on random values.
 */
export function canonicalJson(value: unknown): string {
  try {
    return encode(value);
  } catch (e) {
    if (e instanceof PathlessError) throw new CanonicalError('$' + e.suffix, e.reason);
    throw e;
  }
}

/** Internal: the path of a bad field is assembled while unwinding, so the happy path builds none. */
class PathlessError extends Error {
  constructor(readonly suffix: string, readonly reason: string) {
    super(reason);
  }
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

/**
 * An object shape: its own keys in the order Object.keys gives them, the same keys in JCS order,
 * and each sorted key's text as written ('{"key":' for the first, ',"key":' after).
 */
interface Shape {
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
  readonly prefixes: readonly string[];
}

/**
 * Shapes seen, by first key: events of one type share a few shapes, so sorting and quoting the
 * keys is done once per shape instead of once per object (measured ~2x faster encoding on
 * unsorted engine payloads, close to JSON.stringify). Matched on key contents, so the output
 * does not depend on what is cached. Bounded: SHAPE_FIRST_KEYS_MAX first keys, SHAPES_PER_KEY_MAX
 * shapes each; past that a shape is computed and not kept.
 */
const SHAPE_FIRST_KEYS_MAX = 1024;
const SHAPES_PER_KEY_MAX = 16;
const shapes = new Map<string, Shape[]>();

function shapeOf(keys: string[]): Shape {
  const first = keys[0]!;
  let list = shapes.get(first);
  if (list !== undefined) {
    next: for (let s = 0; s < list.length; s++) {
      const known = list[s]!.keys;
      if (known.length !== keys.length) continue;
      for (let i = 1; i < keys.length; i++) if (known[i] !== keys[i]) continue next;
      return list[s]!;
    }
  }
  const sorted = isSorted(keys) ? keys : [...keys].sort();
  const shape: Shape = { keys, sorted, prefixes: sorted.map((k, i) => (i === 0 ? '{' : ',') + JSON.stringify(k) + ':') };
  if (list === undefined && shapes.size < SHAPE_FIRST_KEYS_MAX) shapes.set(first, (list = []));
  if (list !== undefined && list.length < SHAPES_PER_KEY_MAX) list.push(shape);
  return shape;
}

/**
 * JSON.stringify of a string that recurs (symbols, enum values in the per-bar writers), memoized:
 * a lookup of a string whose hash is cached costs less than re-escaping it. Bounded.
 */
const QUOTED_MAX = 4096;
const quoted = new Map<string, string>();
export function quotedKey(k: string): string {
  let q = quoted.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quoted.size < QUOTED_MAX) quoted.set(k, q);
  }
  return q;
}

/**
 * String(n) of a safe integer. Millisecond timestamps (~1.7e12) are not int32, and V8 writes those
 * through its general shortest-double algorithm (~200 ns each, once per bar); a whole number of
 * seconds is written as its int32 quotient + "000" instead, which is the same text.
 */
export function integerText(n: number): string {
  if (n % 1000 === 0 && n !== 0) {
    const k = n / 1000;
    if (k === (k | 0)) return `${k}000`;
  }
  return String(n);
}

function encode(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new PathlessError('', `number ${String(value)} is not a safe integer (amounts must be decimal strings)`);
      }
      if (Object.is(value, -0)) throw new PathlessError('', 'negative zero');
      return integerText(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        let i = 0;
        try {
          for (; i < value.length; i++) out += (i === 0 ? '' : ',') + encode(value[i]);
        } catch (e) {
          throw e instanceof PathlessError ? new PathlessError(`[${i}]${e.suffix}`, e.reason) : e;
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new PathlessError('', `object of type ${proto?.constructor?.name ?? 'unknown'} is not plain JSON`);
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj);
      if (keys.length === 0) return '{}';
      const { sorted, prefixes } = shapeOf(keys);
      let out = '';
      let i = 0;
      try {
        for (; i < sorted.length; i++) out += prefixes[i]! + encode(obj[sorted[i]!]);
      } catch (e) {
        throw e instanceof PathlessError ? new PathlessError(`.${sorted[i]!}${e.suffix}`, e.reason) : e;
      }
      return out + '}';
    }
    default:
      throw new PathlessError('', `${typeof value} is not JSON`);
  }
}

/** The JCS UTF-8 bytes of a value: what is hashed and stored. */
export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}
