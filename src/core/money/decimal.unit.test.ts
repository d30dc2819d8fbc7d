/** Decimal against big.js as an independent oracle, plus the canonical form and the limits. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import '../../../test/support/property.js';
import Big from 'big.js';
import { Decimal, DecimalError, type RoundingMode } from './decimal.js';

// big.js: 0 down, 1 half_up, 2 half_even, 3 up. floor/ceil are derived from the sign.
function bigRound(x: Big, dp: number, mode: RoundingMode): string {
  const neg = x.lt(0);
  const rm = { down: 0, half_up: 1, half_even: 2, up: 3, floor: neg ? 3 : 0, ceil: neg ? 0 : 3 }[mode] as Big.RoundingMode;
  return x.round(dp, rm).toFixed();
}

const decimalText = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.integer({ min: 0, max: 12 }))
  .map(([neg, units, scale]) => Decimal.of(neg ? -units : units, scale).toString());
const modes = fc.constantFrom<RoundingMode>('down', 'up', 'floor', 'ceil', 'half_up', 'half_even');
const canon = (b: Big) => {
  const s = b.toFixed();
  return s === '-0' ? '0' : s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
};

test('add, sub and mul are exact (big.js oracle)', () => {
  Big.DP = 60;
  fc.assert(
    fc.property(decimalText, decimalText, (a, b) => {
      const x = Decimal.parse(a);
      const y = Decimal.parse(b);
      assert.equal(x.add(y).toString(), canon(new Big(a).plus(b)));
      assert.equal(x.sub(y).toString(), canon(new Big(a).minus(b)));
      assert.equal(x.mul(y).toString(), canon(new Big(a).times(b)));
      assert.equal(x.cmp(y), new Big(a).cmp(b));
    }),
    { numRuns: 2000 },
  );
});

test('round and div follow each rounding mode (big.js oracle)', () => {
  Big.DP = 80;
  fc.assert(
    fc.property(decimalText, decimalText, fc.integer({ min: 0, max: 10 }), modes, (a, b, dp, mode) => {
      assert.equal(Decimal.parse(a).round(dp, mode).toString(), canon(new Big(bigRound(new Big(a), dp, mode))));
      if (new Big(b).eq(0)) return;
      // Exact quotient to 80 places, then rounded: equal to rounding the true quotient unless the
      // 80-place truncation hides a tie, which cannot happen with these operand sizes.
      const q = new Big(a).div(b);
      assert.equal(Decimal.parse(a).div(Decimal.parse(b), dp, mode).toString(), canon(new Big(bigRound(q, dp, mode))));
    }),
    { numRuns: 2000 },
  );
});

test('percentOf is this * 100 / whole rounded, the same as mul(100).div (big.js oracle)', () => {
  Big.DP = 80;
  const hundred = Decimal.of(100);
  fc.assert(
    fc.property(decimalText, decimalText, fc.integer({ min: 0, max: 10 }), modes, (a, b, dp, mode) => {
      if (new Big(b).eq(0)) {
        assert.throws(() => Decimal.parse(a).percentOf(Decimal.parse(b), dp, mode), /division by zero/);
        return;
      }
      const got = Decimal.parse(a).percentOf(Decimal.parse(b), dp, mode).toString();
      assert.equal(got, canon(new Big(bigRound(new Big(a).times(100).div(b), dp, mode))));
      assert.equal(got, Decimal.parse(a).mul(hundred).div(Decimal.parse(b), dp, mode).toString());
    }),
    { numRuns: 2000 },
  );
});

test('rounding modes on the ties and signs that matter for the ledger', () => {
  const r = (s: string, dp: number, m: RoundingMode) => Decimal.parse(s).round(dp, m).toString();
  assert.equal(r('2.5', 0, 'half_even'), '2');
  assert.equal(r('3.5', 0, 'half_even'), '4');
  assert.equal(r('-2.5', 0, 'half_even'), '-2');
  assert.equal(r('2.5', 0, 'half_up'), '3');
  assert.equal(r('-2.5', 0, 'half_up'), '-3');
  assert.equal(r('0.123456789', 8, 'down'), '0.12345678'); // quantity to lot decimals
  assert.equal(r('-1.01', 1, 'floor'), '-1.1');
  assert.equal(r('-1.01', 1, 'ceil'), '-1');
  assert.equal(r('1.01', 1, 'up'), '1.1');
});

test('canonical strings: no trailing zeros, no -0, fixed width on request', () => {
  assert.equal(Decimal.parse('1.500').toString(), '1.5');
  assert.equal(Decimal.parse('-0.000').toString(), '0');
  assert.equal(Decimal.parse('0.00000001').toString(), '0.00000001');
  assert.equal(Decimal.parse('42000').toString(), '42000');
  assert.equal(Decimal.parse('1.5').toFixed(8), '1.50000000');
  assert.equal(Decimal.parse('-0.5').toFixed(2), '-0.50');
  assert.throws(() => Decimal.parse('1.555').toFixed(2), /round it first/);
  assert.ok(Decimal.parse('1.50').eq(Decimal.parse('1.5')));
});

test('parse refuses anything that is not a plain decimal, naming the field', () => {
  for (const bad of ['', '1e5', '+1', '01', '1.', '.5', 'NaN', 'Infinity', ' 1', '1,5', '0x10']) {
    assert.throws(() => Decimal.parse(bad, 'line 7: close'), (e: Error) => e instanceof DecimalError && e.message.startsWith('line 7: close:'), bad);
  }
  assert.throws(() => Decimal.parse('1.' + '1'.repeat(37)), /fractional digits/);
  assert.throws(() => Decimal.parse('9'.repeat(81)), /characters/);
  assert.throws(() => Decimal.parse('1').div(Decimal.ZERO, 2, 'down'), /division by zero/);
});

test('toNumber is exactly Number(toString()) (the fast path divides exact operands); parsed canonical text is kept as the memo', () => {
  const digits = fc.stringMatching(/^(0|[1-9][0-9]{0,17})(\.[0-9]{1,24})?$/);
  fc.assert(fc.property(digits, fc.boolean(), (t, neg) => {
    const d = Decimal.parse(neg && t !== '0' ? `-${t}` : t);
    assert.equal(d.toNumber(), Number(d.toString()), t);
    assert.equal(Decimal.parse(d.toString()).toString(), d.toString());
  }), { numRuns: 3000 });
  // the fast path's bound: units of 2^53 - 1, 2^53 and 2^53 + 1 (the conversion of the last rounds to 2^53)
  const edges = ['9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993', '900719925474099.3', '0.9007199254740993', '-0.9007199254740992'];
  assert.ok(Object.is(Decimal.parse('-0.000').toNumber(), 0), 'a negative zero parses to 0, not -0');
  for (const t of [...edges, '9007199254740993.5', '0.1', '123456789.123456789012345678901', '-0.000', '1.50']) assert.equal(Decimal.parse(t).toNumber(), Number(Decimal.parse(t).toString()), t);
  assert.equal(Decimal.parse('1.50').toString(), '1.5');
  assert.equal(Decimal.parse('-0.0').toString(), '0');
});

/** parse() as it was before its fast path (the regex alone): the reference for tryParsePlain. */
function referenceParse(text: string): { units: bigint; scale: number } | null {
  if (text.length > 80) return null;
  const m = /^(-)?(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(text);
  if (!m || (m[3] ?? '').length > 36) return null;
  const units = BigInt(m[2]! + (m[3] ?? ''));
  return { units: m[1] ? -units : units, scale: (m[3] ?? '').length };
}
const plainish = fc.stringMatching(/^-?[0-9]{0,9}(\.[0-9]{0,9})?$/);
const noisy = fc.string({ unit: fc.constantFrom('0', '1', '5', '9', '.', '-', '+', 'e', ' ', 'x'), maxLength: 20 });

test('the fast parse path gives exactly what the regex path gives, or defers to it (fast-check)', () => {
  fc.assert(fc.property(fc.oneof(plainish, noisy, decimalText, fc.string()), (text) => {
    const ref = referenceParse(text);
    const fast = Decimal.tryParsePlain(text, 0, text.length);
    if (fast !== null) {
      assert.deepEqual({ units: fast.units, scale: fast.scale }, ref, `fast path on ${JSON.stringify(text)}`);
      // the text it keeps (cut from the input) is the canonical text of its value
      assert.equal(fast.toString(), Decimal.of(fast.units, fast.scale).toString(), `fast path text of ${JSON.stringify(text)}`);
      const inPlace = Decimal.tryParsePlain(`7,${text},0`, 2, 2 + text.length);
      assert.equal(inPlace?.toString(), fast.toString(), `in place: ${JSON.stringify(text)}`);
    }
    let parsed: { units: bigint; scale: number } | null = null;
    try {
      const d = Decimal.parse(text);
      parsed = { units: d.units, scale: d.scale };
    } catch (e) {
      assert.ok(e instanceof DecimalError);
    }
    assert.deepEqual(parsed, ref, JSON.stringify(text));
  }), { numRuns: 20_000 });
  // Every plain decimal of up to 15 digits takes the fast path; longer ones the regex.
  fc.assert(fc.property(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 15n - 1n }), fc.integer({ min: 0, max: 15 }), (neg, units, scale) => {
    const digits = units.toString().padStart(scale + 1, '0');
    const text = `${neg ? '-' : ''}${scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`}`;
    const fast = Decimal.tryParsePlain(text, 0, text.length);
    if (digits.length <= 15) assert.deepEqual(fast && [fast.units, fast.scale], [neg ? -units : units, scale], text);
    else assert.equal(fast, null, text);
  }));
  for (const [text, units, scale] of [['0', 0n, 0], ['-0', 0n, 0], ['0.50', 50n, 2], ['999999999999999', 999999999999999n, 0], ['0.00000000000001', 1n, 14]] as const) {
    const d = Decimal.tryParsePlain(text, 0, text.length);
    assert.deepEqual(d && [d.units, d.scale], [units, scale], text);
  }
  for (const [text, canonical] of [['122.0', '122'], ['0.50', '0.5'], ['-0.0', '0'], ['-1.2300', '-1.23'], ['16943.7', '16943.7'], ['100', '100'], ['10.00', '10']] as const) {
    assert.equal(Decimal.tryParsePlain(text, 0, text.length)?.toString(), canonical, text);
  }
  for (const text of ['', '-', '.', '1.', '.5', '05', '-05', '00', '+1', '1e3', ' 1', '1 ', '1.2.3', '1234567890123456', '0.000000000000001']) {
    assert.equal(Decimal.tryParsePlain(text, 0, text.length), null, JSON.stringify(text));
  }
  assert.equal(Decimal.parse('1234567890123456.5').toString(), '1234567890123456.5'); // beyond the fast path: exact still
});

test('tryParsePlain reads a field in place: text[start, end) as if it were the whole string', () => {
  fc.assert(fc.property(fc.string({ maxLength: 6 }), fc.oneof(plainish, decimalText), fc.string({ maxLength: 6 }), (pre, field, post) => {
    const whole = Decimal.tryParsePlain(field, 0, field.length);
    const inPlace = Decimal.tryParsePlain(pre + field + post, pre.length, pre.length + field.length);
    assert.deepEqual(inPlace && [inPlace.units, inPlace.scale], whole && [whole.units, whole.scale]);
  }));
});

test('cmp across scales (no array, same answers as big.js)', () => {
  fc.assert(fc.property(decimalText, decimalText, (a, b) => {
    const want = new Big(a).cmp(b);
    assert.equal(Decimal.parse(a).cmp(Decimal.parse(b)), want);
    assert.equal(Decimal.parse(b).cmp(Decimal.parse(a)), -want === 0 ? 0 : -want);
  }));
});

test('canonical text of any units/scale, and of parsed text with trailing fractional zeros (big.js oracle)', () => {
  Big.DP = 60;
  fc.assert(
    fc.property(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 4 }), (neg, units, scale, zeros) => {
      const d = Decimal.of(neg ? -units : units, scale);
      const exact = new Big(`${neg ? '-' : ''}${units}`).div(new Big(10).pow(scale));
      assert.equal(d.toString(), canon(exact));
      const fixed = d.toFixed(scale);
      const padded = zeros === 0 ? fixed : `${fixed}${fixed.includes('.') ? '' : '.'}${'0'.repeat(zeros)}`;
      const p = Decimal.parse(padded);
      assert.equal(p.toString(), canon(exact));
      assert.ok(p.eq(d));
    }),
    { numRuns: 3000 },
  );
  for (const [text, want] of [['122.0', '122'], ['100.00', '100'], ['-0.0', '0'], ['-0', '0'], ['0.000', '0'], ['-1.50', '-1.5'], ['0.0500', '0.05'], ['10', '10']]) {
    assert.equal(Decimal.parse(text as string).toString(), want);
  }
});

test('ofDigits is Decimal.of for a parser\'s digits (units in [0, 2^53), int32 or not), its float is toNumber\'s, and it refuses what Decimal.of refuses (fast-check)', () => {
  fc.assert(fc.property(fc.oneof(fc.integer({ min: 0, max: 0x7fffffff + 10 }), fc.maxSafeNat()), fc.integer({ min: 0, max: 36 }), (units, scale) => {
    const d = Decimal.ofDigits(units, scale);
    assert.deepEqual([d.units, d.scale, d.toString()], [BigInt(units), scale, Decimal.of(units, scale).toString()]);
    // the float a parser's digits carry is toNumber's own answer: the double nearest to the value
    assert.equal(d.toNumber(), Number(d.toString()), `${units}e-${scale}`);
  }), { numRuns: 3000 });
  for (const [u, s] of [[2 ** 53 - 1, 0], [2 ** 53 - 1, 22], [2 ** 53 - 1, 23], [9_007_199_254_740_991, 15], [1, 22], [5, 1], [0, 30]] as const) {
    assert.equal(Decimal.ofDigits(u, s).toNumber(), Number(Decimal.ofDigits(u, s).toString()), `${u}e-${s}`);
  }
  assert.throws(() => Decimal.ofDigits(1, 37), DecimalError);
  assert.throws(() => Decimal.ofDigits(1.5, 0), DecimalError);
  assert.throws(() => Decimal.ofDigits(2 ** 53, 0), DecimalError);
  assert.equal(Decimal.ofDigits(-5, 1).toString(), '-0.5'); // outside the fast form: Decimal.of decides
});
