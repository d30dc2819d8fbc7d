/** The hash chain: layout of the hashed bytes, determinism, and what a change to any part does. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { canonicalBytes, type CanonicalValue } from '../canonical/index.js';
import { chainEvents, chainHash, decodeEventBody, encodeEventBody, envelopeColumnsCheck, EventEnvelopeError, GENESIS_PREV_HASH, type NewEvent } from './index.js';
import { toHex } from '../canonical/hash.js';
import '../../../test/support/property.js';

const events: NewEvent[] = [
  { type: 'bar.closed', time_ms: 1672534800000, payload: { symbol: 'BTC/USD', close: '16542.4' } },
  { type: 'order.denied', time_ms: 1672534800000, payload: { reason: 'insufficient_cash' } },
];

test('hash = sha256("warden.event.v1\\0" || prev_hash || canonical body), computed independently', () => {
  const [e1, e2] = chainEvents('book:main', 0, GENESIS_PREV_HASH, events);
  const body1 = '{"payload":{"close":"16542.4","symbol":"BTC/USD"},"seq":1,"stream":"book:main","time_ms":1672534800000,"type":"bar.closed"}';
  assert.equal(Buffer.from(e1!.body).toString('utf8'), body1);
  const expected1 = createHash('sha256').update('warden.event.v1\u0000').update(Buffer.alloc(32)).update(body1).digest('hex');
  assert.equal(toHex(e1!.hash), expected1);
  assert.equal(toHex(e2!.prev_hash), expected1);
  assert.equal(toHex(chainHash(e1!.hash, e2!.body)), toHex(e2!.hash));
});

test('same inputs give byte-identical events; any change of stream, position, type, time or payload changes the hash', () => {
  const base = chainEvents('book:main', 0, GENESIS_PREV_HASH, events).map((e) => toHex(e.hash));
  assert.deepEqual(chainEvents('book:main', 0, GENESIS_PREV_HASH, events).map((e) => toHex(e.hash)), base);
  const variants = [
    chainEvents('book:other', 0, GENESIS_PREV_HASH, events),
    chainEvents('book:main', 5, GENESIS_PREV_HASH, events),
    chainEvents('book:main', 0, GENESIS_PREV_HASH, [{ ...events[0]!, type: 'bar.opened' }]),
    chainEvents('book:main', 0, GENESIS_PREV_HASH, [{ ...events[0]!, time_ms: 1672534800001 }]),
    chainEvents('book:main', 0, GENESIS_PREV_HASH, [{ ...events[0]!, payload: { symbol: 'BTC/USD', close: '16542.5' } }]),
  ];
  for (const v of variants) assert.notEqual(toHex(v[0]!.hash), base[0]);
});

test('bad envelopes are refused with what was expected', () => {
  assert.throws(() => chainEvents('Book Main', 0, GENESIS_PREV_HASH, events), /stream name/);
  assert.throws(() => chainEvents('book:main', 0, GENESIS_PREV_HASH, [{ ...events[0]!, type: 'Bar Closed' }]), EventEnvelopeError);
  assert.throws(() => chainEvents('book:main', 0, GENESIS_PREV_HASH, [{ ...events[0]!, time_ms: 1.5 }]), /time_ms must be a non-negative integer/);
  assert.throws(() => chainEvents('book:main', 0, GENESIS_PREV_HASH, [{ ...events[0]!, payload: { big: 'x'.repeat(1 << 20) } }]), /max 1048576/);
});

test('the envelope is written directly, byte-identical to the JCS of the envelope object', async () => {
  const fc = (await import('fast-check')).default;
  const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.maxSafeInteger().filter((n) => !Object.is(n, -0)), fc.string(), fc.string({ unit: 'binary' }));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('value'), { maxKeys: 5 })),
  }));
  const stream = fc.stringMatching(/^[a-z0-9][a-z0-9_.:-]{0,20}$/);
  const type = fc.stringMatching(/^[a-z][a-z0-9_.]{0,20}$/);
  const event = fc.record({ type, time_ms: fc.maxSafeInteger().filter((n) => n >= 0), payload: value });
  fc.assert(fc.property(stream, fc.integer({ min: 0, max: 1e6 }), fc.array(event, { minLength: 1, maxLength: 4 }), (s, head, evs) => {
    const news = evs.map((e) => ({ ...e, payload: e.payload as CanonicalValue }));
    const chained = chainEvents(s, head, GENESIS_PREV_HASH, news);
    let prev = GENESIS_PREV_HASH;
    chained.forEach((e, i) => {
      const n = news[i]!;
      const expected = canonicalBytes({ payload: n.payload, seq: head + i + 1, stream: s, time_ms: n.time_ms, type: n.type });
      assert.equal(toHex(e.body), toHex(expected));
      assert.equal(toHex(encodeEventBody(s, head + i + 1, n)), toHex(expected));
      assert.equal(toHex(e.prev_hash), toHex(prev));
      assert.equal(toHex(e.hash), toHex(chainHash(prev, expected)));
      prev = e.hash;
    });
  }), { numRuns: 1500 });
  // Errors keep their paths: a bad payload field is named under $.payload; -0 as JCS refuses it.
  assert.throws(() => chainEvents('book:main', 0, GENESIS_PREV_HASH, [{ ...events[0]!, payload: { a: { b: 0.5 } } }]), /cannot canonicalize \$\.payload\.a\.b: number 0\.5/);
  assert.throws(() => chainEvents('book:main', 0, GENESIS_PREV_HASH, [{ ...events[0]!, time_ms: -0 }]), /\$\.time_ms: negative zero/);
});

test('envelopeColumnsCheck agrees with decoding the body and comparing its fields', async () => {
  const fc = (await import('fast-check')).default;
  const type = fc.stringMatching(/^[a-z][a-z0-9_.]{0,12}$/);
  const int = fc.oneof(fc.integer({ min: 0, max: 120 }), fc.maxSafeInteger().filter((n) => n >= 0));
  // A column value near the stored one: equal, off by one, a digit more or less, a prefix or suffix.
  const near = (n: number) => fc.constantFrom(n, n + 1, Math.max(0, n - 1), n * 10, Math.floor(n / 10), Number(`1${n}`), -n);
  const nearType = (t: string) => fc.constantFrom(t, `${t}x`, `x${t}`, t.slice(1) || 'a', t.slice(0, -1) || 'b', `${t}"`, 'bar.closed');
  const payload = fc.oneof(fc.constant({}), fc.constant({ seq: 5, type: 'a', stream: 'book:x', time_ms: 1 }), fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())));
  fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), int, type, payload, fc.constantFrom('book:main', 'book:x', 'b'), (seq, time_ms, t, p, columnStream) => {
    const body = encodeEventBody('book:main', seq, { type: t, time_ms, payload: p });
    const d = decodeEventBody(body);
    fc.assert(fc.property(near(seq), near(time_ms), nearType(t), (cs, ctime, ctype) => {
      const truth = d.seq === cs && d.time_ms === ctime && d.type === ctype && d.stream === columnStream;
      assert.equal(envelopeColumnsCheck(columnStream)(body, cs, ctype, ctime), truth, `${cs} ${ctime} ${ctype} ${columnStream}`);
      // the same body inside a row as verify reads it (digits and envelope-like bytes around it): the same answer
      const row = new Uint8Array(48 + body.length + 32).fill(0x31);
      row.set(new TextEncoder().encode(',"seq":1'), 40);
      row.set(body, 48);
      assert.equal(envelopeColumnsCheck(columnStream)(row, cs, ctype, ctime, 48, 48 + body.length), truth, `in a row: ${cs} ${ctime} ${ctype} ${columnStream}`);
    }), { numRuns: 20 });
  }), { numRuns: 500 });
  // Bodies that are not envelopes never match.
  const check = envelopeColumnsCheck('book:main');
  for (const text of ['', '{}', '{"payload":', ',"seq":1,"stream":"book:main","time_ms":1,"type":"a"}', '{"payload":,"seq":01,"stream":"book:main","time_ms":1,"type":"a"}']) {
    assert.equal(check(new TextEncoder().encode(text), 1, 'a', 1), false, text);
  }
  assert.equal(envelopeColumnsCheck('Not A Stream')(encodeEventBody('book:main', 1, events[0]!), 1, events[0]!.type, events[0]!.time_ms), false);
  // a range that is not inside the bytes, or too short for an envelope, never matches
  const one = encodeEventBody('book:main', 1, events[0]!);
  for (const [start, end] of [[-1, one.length], [0, one.length + 1], [5, 5], [1, one.length]]) assert.equal(check(one, 1, events[0]!.type, events[0]!.time_ms, start, end), false, `${start}..${end}`);
  assert.equal(check(one, 1, events[0]!.type, events[0]!.time_ms, 0, one.length), true);
});
