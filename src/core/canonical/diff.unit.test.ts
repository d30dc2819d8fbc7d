/**
 * firstDifference, directly: re-execution reports what it names, so each way two canonical values
 * can differ (a changed leaf, a key only one side has, an extra or missing array element, a
 * reordered array, a change of kind) must be found, on either side, at the path a reader of the
 * canonical JSON meets first. Written so that walking only one side's keys, or only the shorter
 * array, fails here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstDifference } from './diff.js';
import type { CanonicalValue } from './index.js';

const diff = (l: CanonicalValue | undefined, r: CanonicalValue | undefined, path = 'payload') => firstDifference(l, r, path);

test('equal values (whatever the key order they were built in) have no difference', () => {
  assert.equal(diff({ a: '1', b: [1, { c: null, d: true }] }, { b: [1, { d: true, c: null }], a: '1' }), null);
  assert.equal(diff([], []), null);
  assert.equal(diff({}, {}), null);
  assert.equal(diff(null, null), null);
  assert.equal(diff(undefined, undefined), null);
});

test('a changed leaf is named with both values', () => {
  assert.deepEqual(diff({ qty: '1.5', side: 'buy' }, { qty: '1.7', side: 'buy' }), { path: 'payload.qty', left: '1.5', right: '1.7' });
  assert.deepEqual(diff({ t: 1 }, { t: 2 }), { path: 'payload.t', left: 1, right: 2 });
  assert.deepEqual(diff({ ok: true }, { ok: false }), { path: 'payload.ok', left: true, right: false });
  // The same text in another kind is a difference ("1" vs 1, null vs "null").
  assert.deepEqual(diff({ n: '1' }, { n: 1 }), { path: 'payload.n', left: '1', right: 1 });
  assert.deepEqual(diff({ n: null }, { n: 'null' }), { path: 'payload.n', left: null, right: 'null' });
});

test('a key only the right (recomputed) side has is a difference: both sides\' keys are walked', () => {
  assert.deepEqual(diff({ a: '1' }, { a: '1', z: '2' }), { path: 'payload.z', left: undefined, right: '2' });
  assert.deepEqual(diff({}, { extra: null }), { path: 'payload.extra', left: undefined, right: null });
  assert.deepEqual(diff({ o: { x: 1 } }, { o: { x: 1, y: 2 } }), { path: 'payload.o.y', left: undefined, right: 2 });
});

test('a key only the left (stored) side has is a difference', () => {
  assert.deepEqual(diff({ a: '1', z: '2' }, { a: '1' }), { path: 'payload.z', left: '2', right: undefined });
  assert.deepEqual(diff({ missing: null }, {}), { path: 'payload.missing', left: null, right: undefined });
});

test('a key present with null is not the key absent, on either side', () => {
  assert.deepEqual(diff({ v: null }, {}), { path: 'payload.v', left: null, right: undefined });
  assert.deepEqual(diff({}, { v: null }), { path: 'payload.v', left: undefined, right: null });
});

test('keys are walked in JCS order over the union: the first differing key of either side is named', () => {
  // "b" (only right) sorts before "c" (changed) and after "a" (equal).
  assert.equal(diff({ a: 1, c: 1 }, { a: 1, b: 1, c: 2 })?.path, 'payload.b');
  // "b" (only left) before "c".
  assert.equal(diff({ a: 1, b: 1, c: 1 }, { a: 1, c: 2 })?.path, 'payload.b');
  // UTF-16 code unit order: "Z" (0x5a) < "a" (0x61); "10" < "9".
  assert.equal(diff({ a: 1, Z: 1 }, { a: 2, Z: 2 })?.path, 'payload.Z');
  assert.equal(diff({ 9: 1, 10: 1 }, { 9: 2, 10: 2 })?.path, 'payload["10"]');
});

test('an extra or a missing array element is named at its index', () => {
  assert.deepEqual(diff({ fills: ['a', 'b'] }, { fills: ['a', 'b', 'c'] }), { path: 'payload.fills[2]', left: undefined, right: 'c' });
  assert.deepEqual(diff({ fills: ['a', 'b', 'c'] }, { fills: ['a', 'b'] }), { path: 'payload.fills[2]', left: 'c', right: undefined });
  assert.deepEqual(diff([], [null]), { path: 'payload[0]', left: undefined, right: null });
  assert.deepEqual(diff([null], []), { path: 'payload[0]', left: null, right: undefined });
});

test('a reordered array differs at its first moved element', () => {
  assert.deepEqual(diff({ xs: ['a', 'b', 'c'] }, { xs: ['a', 'c', 'b'] }), { path: 'payload.xs[1]', left: 'b', right: 'c' });
  const l = { orders: [{ id: 1, qty: '1' }, { id: 2, qty: '2' }] };
  const r = { orders: [{ id: 2, qty: '2' }, { id: 1, qty: '1' }] };
  assert.deepEqual(diff(l, r), { path: 'payload.orders[0].id', left: 1, right: 2 });
});

test('a change of kind is named where it happens, with the whole values', () => {
  assert.deepEqual(diff({ v: [] }, { v: {} }), { path: 'payload.v', left: [], right: {} });
  assert.deepEqual(diff({ v: {} }, { v: [] }), { path: 'payload.v', left: {}, right: [] });
  assert.deepEqual(diff({ v: null }, { v: {} }), { path: 'payload.v', left: null, right: {} });
  assert.deepEqual(diff({ v: { a: 1 } }, { v: null }), { path: 'payload.v', left: { a: 1 }, right: null });
  assert.deepEqual(diff({ v: ['x'] }, { v: 'x' }), { path: 'payload.v', left: ['x'], right: 'x' });
  assert.deepEqual(firstDifference({ a: 1 }, [1]), { path: '', left: { a: 1 }, right: [1] });
  assert.deepEqual(firstDifference(undefined, { a: 1 }), { path: '', left: undefined, right: { a: 1 } });
});

test('deep paths: nested arrays and objects, keys that are not identifiers quoted', () => {
  const l = { book: { lots: [{ sym: 'BTC/USD', legs: [['1', '2']] }] } };
  const r = { book: { lots: [{ sym: 'BTC/USD', legs: [['1', '3']] }] } };
  assert.deepEqual(diff(l, r), { path: 'payload.book.lots[0].legs[0][1]', left: '2', right: '3' });
  assert.equal(diff({ 'BTC/USD': { q: '1' } }, { 'BTC/USD': { q: '2' } })?.path, 'payload["BTC/USD"].q');
  assert.equal(firstDifference({ 'a b': 1 }, { 'a b': 2 })?.path, '"a b"');
  assert.equal(firstDifference({ x: 1 }, { x: 2 })?.path, 'x');
});

test('a key named like an Object.prototype member is compared as data, not inherited', () => {
  assert.deepEqual(diff({}, { constructor: 'x' }), { path: 'payload.constructor', left: undefined, right: 'x' });
  assert.deepEqual(diff({ toString: 'a' }, {}), { path: 'payload.toString', left: 'a', right: undefined });
  assert.equal(diff({ hasOwnProperty: 1 }, { hasOwnProperty: 1 }), null);
});

test('deeper than the bound is refused with the path, not a stack overflow', () => {
  let l: CanonicalValue = 1;
  let r: CanonicalValue = 2;
  for (let i = 0; i < 300; i++) {
    l = [l];
    r = [r];
  }
  assert.throws(() => firstDifference(l, r), (e: Error) => e instanceof RangeError && /deeper than 256 at \[0\]/.test(e.message));
});
