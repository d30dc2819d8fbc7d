/**
 * The first difference between two canonical values, as a field path: what re-execution reports
 * when a recomputed event is not the stored one ("payload.indicators.upper: stored "101.5",
 * recomputed "101.7""). Walks both values in canonical order (object keys sorted as JCS sorts
 * them, arrays by index), so the reported path is the first one a reader of the canonical JSON
 * meets, and the same inputs always name the same path. Pure.
 */
import type { CanonicalValue } from './index.js';

export interface FieldDifference {
  /** e.g. "payload.orders[2].qty"; "" when the roots differ in kind. */
  readonly path: string;
  /** The value at path on each side; undefined when the field is absent on that side. */
  readonly left: CanonicalValue | undefined;
  readonly right: CanonicalValue | undefined;
}

/** Depth bound: canonical values this deep are refused by the encoder long before. */
const DEPTH_MAX = 256;

const isObject = (v: unknown): v is { readonly [k: string]: CanonicalValue } => typeof v === 'object' && v !== null && !Array.isArray(v);

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const safe = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
  return path === '' ? safe : /^[A-Za-z_]/.test(safe) ? `${path}.${safe}` : `${path}[${safe}]`;
}

/** UTF-16 code unit order, as RFC 8785 sorts keys. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function firstDifference(left: CanonicalValue | undefined, right: CanonicalValue | undefined, path = '', depth = 0): FieldDifference | null {
  if (depth > DEPTH_MAX) throw new RangeError(`firstDifference: deeper than ${DEPTH_MAX} at ${path}`);
  if (left === right) return null;
  if (Array.isArray(left) && Array.isArray(right)) {
    const n = Math.max(left.length, right.length);
    for (let i = 0; i < n; i++) {
      const d = firstDifference(left[i], right[i], join(path, i), depth + 1);
      if (d) return d;
    }
    return null;
  }
  if (isObject(left) && isObject(right)) {
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort(byCodeUnits);
    for (const k of keys) {
      const d = firstDifference(Object.hasOwn(left, k) ? left[k] : undefined, Object.hasOwn(right, k) ? right[k] : undefined, join(path, k), depth + 1);
      if (d) return d;
    }
    return null;
  }
  return { path, left, right };
}
