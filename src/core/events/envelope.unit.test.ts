/** The hash chain: layout of the hashed bytes, determinism, and what a change to any part does. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { chainEvents, chainHash, EventEnvelopeError, GENESIS_PREV_HASH, type NewEvent } from './index.js';
import { toHex } from '../canonical/hash.js';

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
