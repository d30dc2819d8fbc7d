/**
 * compareStep, directly (the comparison re-execution runs on every step): a real fill step of the
 * sma-cross book over Kraken's Q1-2023 BTC/USD hours, stored, against recomputed copies changed in
 * one way each: a time, a type, a payload key added or dropped, a value, an event added, dropped
 * or reordered. Each must stop at the exact seq with the field path and both values, so deleting
 * any one of the checks (type, time_ms, payload, the length of either side) fails here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ticksOf } from '../core/book/index.js';
import type { CanonicalValue } from '../core/canonical/index.js';
import type { NewEvent, StoredEvent } from '../core/events/index.js';
import { BookHarness } from '../../test/support/book.js';
import { smaBookConfig } from '../../test/support/book-driver.js';
import { BTC_2023Q1_HOURLY, loadKrakenCsv } from '../../test/support/candles-csv.js';
import { compareStep, ReplayDivergence, show } from './reexecute.js';

const STREAM = 'book:cmp';
const SEQ0 = 1000; // the step's first seq in the stored log

/** The first tick step of the book that fills an order: step.started, bar.closed, fill.executed, ... */
function fillStep(): NewEvent[] {
  const h = new BookHarness(smaBookConfig('cmp'));
  const candles = loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600).slice(0, 200);
  h.start(candles[0]!.open_time_ms);
  for (const t of ticksOf(['BTC/USD'], 3600, candles)) {
    const from = h.events.length;
    h.apply({ kind: 'market.tick', time_ms: t.time_ms, candles: t.candles });
    const step = h.encoded.slice(from);
    if (step.some((e) => e.type === 'fill.executed')) return step;
  }
  throw new Error('the book never filled over 200 hours');
}

const PRODUCED = fillStep();
const STORED: StoredEvent[] = PRODUCED.map((e, i) => ({
  ...e, stream: STREAM, seq: SEQ0 + i, body: new Uint8Array(0), prev_hash: new Uint8Array(32), hash: new Uint8Array(32),
}));
const FILL = PRODUCED.findIndex((e) => e.type === 'fill.executed');
const fillPayload = PRODUCED[FILL]!.payload as { [k: string]: CanonicalValue };

/** A deep copy of the produced step with event i replaced. */
function withEvent(i: number, f: (e: NewEvent) => NewEvent): NewEvent[] {
  return PRODUCED.map((e, k) => (k === i ? f(structuredClone(e)) : structuredClone(e)));
}

function divergence(produced: readonly NewEvent[], stored: readonly StoredEvent[] = STORED): ReplayDivergence {
  try {
    compareStep(STREAM, stored, produced);
  } catch (e) {
    assert.ok(e instanceof ReplayDivergence, String(e));
    return e;
  }
  assert.fail('compareStep accepted a step that differs');
}

test('the sample is a real multi-event fill step', () => {
  assert.ok(PRODUCED.length >= 6, PRODUCED.map((e) => e.type).join(','));
  assert.equal(PRODUCED[0]!.type, 'step.started');
  assert.ok(FILL > 1);
  assert.ok(Object.keys(fillPayload).length >= 3);
});

test('an identical step (a fresh copy) passes', () => {
  compareStep(STREAM, STORED, structuredClone(PRODUCED));
});

test('a different time_ms alone is a divergence at that seq, path time_ms', () => {
  for (const delta of [1, -1, 3_600_000]) {
    const d = divergence(withEvent(FILL, (e) => ({ ...e, time_ms: e.time_ms + delta })));
    assert.equal(d.seq, SEQ0 + FILL);
    assert.equal(d.type, 'fill.executed');
    assert.equal(d.path, 'time_ms');
    assert.equal(d.stored, String(PRODUCED[FILL]!.time_ms));
    assert.equal(d.recomputed, String(PRODUCED[FILL]!.time_ms + delta));
    assert.equal(d.exitCode, 65);
    assert.match(d.message, new RegExp(`^${STREAM} seq ${SEQ0 + FILL} \\(fill\\.executed\\) differs at time_ms: stored \\d+, recomputed \\d+$`));
  }
});

test('a different type is a divergence at path type', () => {
  const d = divergence(withEvent(FILL, (e) => ({ ...e, type: 'fill.executed.v2' })));
  assert.deepEqual([d.seq, d.path, d.stored, d.recomputed], [SEQ0 + FILL, 'type', '"fill.executed"', '"fill.executed.v2"']);
});

test('a payload key only the recomputed event has is a divergence (absent in the stored one)', () => {
  const d = divergence(withEvent(FILL, (e) => ({ ...e, payload: { ...fillPayload, zz_new_field: '0' } })));
  assert.deepEqual([d.seq, d.path, d.stored, d.recomputed], [SEQ0 + FILL, 'payload.zz_new_field', '(absent)', '"0"']);
});

test('a payload key the recomputed event lacks is a divergence (absent in the recomputed one)', () => {
  const [key] = Object.keys(fillPayload).sort();
  const { [key!]: dropped, ...rest } = fillPayload;
  const d = divergence(withEvent(FILL, (e) => ({ ...e, payload: rest })));
  assert.deepEqual([d.seq, d.path, d.stored, d.recomputed], [SEQ0 + FILL, `payload.${key}`, show(dropped), '(absent)']);
});

test('a changed payload value is named by its path with both values', () => {
  const price = fillPayload.price;
  assert.equal(typeof price, 'string', 'fill.executed carries its price as decimal text');
  const d = divergence(withEvent(FILL, (e) => ({ ...e, payload: { ...fillPayload, price: `${price as string}1` } })));
  assert.deepEqual([d.seq, d.path, d.stored, d.recomputed], [SEQ0 + FILL, 'payload.price', JSON.stringify(price), JSON.stringify(`${price as string}1`)]);
});

test('an extra recomputed event is a divergence at the seq after the stored step', () => {
  const extra = { type: 'cash.posted', time_ms: PRODUCED[0]!.time_ms, payload: { amount: '1' } };
  const d = divergence([...structuredClone(PRODUCED), extra]);
  assert.equal(d.seq, SEQ0 + PRODUCED.length);
  assert.equal(d.path, '(event)');
  assert.equal(d.type, 'cash.posted');
  assert.match(d.stored, /^nothing/);
  assert.equal(d.recomputed, show(extra));
  assert.match(d.message, /is not reproduced/);
});

test('a stored event the kernel no longer produces is a divergence at its seq', () => {
  const last = PRODUCED.length - 1;
  const d = divergence(structuredClone(PRODUCED).slice(0, last));
  assert.deepEqual([d.seq, d.path, d.type], [SEQ0 + last, '(event)', PRODUCED[last]!.type]);
  assert.match(d.recomputed, /^nothing/);
  // Dropped from the middle: the events after it shift, the first shifted one is named.
  const mid = divergence(PRODUCED.filter((_, k) => k !== FILL));
  assert.equal(mid.seq, SEQ0 + FILL);
  assert.notEqual(mid.path, '(event)');
});

test('reordered events: the first position that differs is named', () => {
  const swapped = structuredClone(PRODUCED);
  [swapped[FILL], swapped[FILL + 1]] = [swapped[FILL + 1]!, swapped[FILL]!];
  const d = divergence(swapped);
  assert.equal(d.seq, SEQ0 + FILL);
  assert.equal(d.path, 'type');
  // Two events of the same type swapped (the step's two cash.posted): named at a payload field.
  const cash = PRODUCED.flatMap((e, k) => (e.type === 'cash.posted' ? [k] : []));
  assert.equal(cash.length, 2, 'a fill step posts cash twice (cost and fee)');
  const same = structuredClone(PRODUCED);
  [same[cash[0]!], same[cash[1]!]] = [same[cash[1]!]!, same[cash[0]!]!];
  const s = divergence(same);
  assert.equal(s.seq, SEQ0 + cash[0]!);
  assert.match(s.path, /^payload\./);
});

test('only the first difference is reported (an earlier time wins over a later payload change)', () => {
  const p = withEvent(FILL + 1, (e) => ({ ...e, payload: { changed: true } }));
  p[1] = { ...p[1]!, time_ms: p[1]!.time_ms + 1 };
  const d = divergence(p);
  assert.deepEqual([d.seq, d.path], [SEQ0 + 1, 'time_ms']);
});
