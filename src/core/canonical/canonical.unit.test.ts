/** RFC 8785 (JCS) behaviour we rely on, and the refusal of values that must never be hashed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, CanonicalError, integerText } from './index.js';
import { sha256, toHex } from './hash.js';
import '../../../test/support/property.js';

test('keys are sorted by UTF-16 code units, whitespace removed (RFC 8785 section 3.2.3)', () => {
  // Example from RFC 8785 3.2.3 (property sorting), restricted to string values.
  const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
  // Read the order from the text: JSON.parse + Object.keys would hoist the integer-like key "1".
  const text = canonicalJson(input);
  const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'].map((k) => text.indexOf(JSON.stringify(k) + ':'));
  assert.ok(order.every((pos) => pos > 0), `every key present in ${text}`);
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  assert.equal(canonicalJson({ b: [1, { d: true, c: null }], a: 'x' }), '{"a":"x","b":[1,{"c":null,"d":true}]}');
});

test('string escaping follows JSON.stringify (RFC 8785 3.2.2.2)', () => {
  assert.equal(canonicalJson({ s: '\u000f\n"\\/\u20ac' }), '{"s":"\\u000f\\n\\"\\\\/\u20ac"}');
});

test('the same value gives the same bytes and hash whatever the key order it was built in', () => {
  const a = canonicalJson({ x: '1.5', y: { q: 2, p: [3, 'a'] } });
  const b = canonicalJson({ y: { p: [3, 'a'], q: 2 }, x: '1.5' });
  assert.equal(a, b);
  assert.equal(toHex(sha256(new TextEncoder().encode(a))), toHex(sha256(new TextEncoder().encode(b))));
});

test('floats, unsafe integers and non-JSON values are refused with the path of the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ fill: { price: 42000.5 } }, /\$\.fill\.price: number 42000\.5 is not a safe integer/],
    [{ q: 2 ** 53 }, /\$\.q: number .* not a safe integer/],
    [{ xs: [1, NaN] }, /\$\.xs\[1\]/],
    [{ t: new Date(0) }, /\$\.t: object of type Date/],
    [{ u: undefined }, /\$\.u: undefined is not JSON/],
    [{ b: 1n }, /\$\.b: bigint is not JSON/],
    [{ z: -0 }, /negative zero/],
  ];
  for (const [value, re] of cases) {
    assert.throws(() => canonicalJson(value), (e: Error) => e instanceof CanonicalError && re.test(e.message), String(re));
  }
});

test('sha256 matches the FIPS 180-2 test vector', () => {
  assert.equal(toHex(sha256(new TextEncoder().encode('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('the hand-written encoder equals the canonicalize library (RFC 8785) on random JSON values', async () => {
  const { default: canonicalize } = await import('canonicalize');
  const fc = (await import('fast-check')).default;
  const key = fc.oneof(fc.string(), fc.constantFrom('', '1', '10', '\r', '\u0080', '\u20ac', '\ud83d\ude00', '\ufb33', 'a', 'A', '__proto_'));
  const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.maxSafeInteger().filter((n) => !Object.is(n, -0)), fc.string(), fc.string({ unit: 'binary' }));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 5 }), fc.dictionary(key, tie('value'), { maxKeys: 6 })),
  }));
  fc.assert(fc.property(value, (v) => assert.equal(canonicalJson(v), canonicalize(v))), { numRuns: 3000 });
});

test('remembered key orders (shapes) never change the text: insertion orders, shared first keys, past the cache bounds', async () => {
  const { default: canonicalize } = await import('canonicalize');
  const objects: Record<string, unknown>[] = [];
  // One first key, more shapes than are kept under it, in both insertion orders and nested.
  for (let n = 1; n <= 40; n++) {
    const keys = ['m', ...Array.from({ length: n }, (_, i) => `k${(i * 7) % 41}`), 'a', '10', '2'];
    const forward = Object.fromEntries(keys.map((k, i) => [k, i]));
    const backward = Object.fromEntries([...keys].reverse().map((k, i) => [k, `v${i}`]));
    objects.push(forward, backward, { m: forward, a: [backward, forward] });
  }
  for (let round = 0; round < 2; round++) {
    for (const o of objects) assert.equal(canonicalJson(o), canonicalize(o));
  }
  // A remembered shape does not hide a bad value, and the path still names it.
  assert.throws(() => canonicalJson({ m: 0, k0: 1.5, a: 1, 10: 1, 2: 1 }), /\$\.k0: number 1\.5 is not a safe integer/);
});

test('integerText is String(n) for every safe integer shape (whole seconds in ms take the int32 path)', () => {
  const xs = [0, -0, 7, -7, 999, 1000, -1000, 3_600_000, 1_381_093_200_000, -1_381_093_200_000, 2_147_483_647_000, 2_147_483_648_000, -2_147_483_648_000, -2_147_483_649_000, 1_673_082_000_001, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 9_007_199_254_740_000];
  for (let i = 0; i < 1000; i++) xs.push(Math.round((i * 7919.5 - 3e6) * 1e6) * (i % 3 === 0 ? 1000 : 1));
  for (const x of xs) assert.equal(integerText(x), String(x), `integerText(${x})`);
});
