/** The minimal book decider: given(events).when(command).then(events), codec round trip, hash. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fold, handle } from '../decider/index.js';
import type { NewEvent } from '../events/index.js';
import { bookDecider, bookStateCodec, BookCommandError, BookStateError, INITIAL_BOOK_STATE, stateHashHex, type RuntimeCommand } from './index.js';

const start: RuntimeCommand = { kind: 'runtime.start', time_ms: 1000, book_id: 'main', execution_plane: 'PAPER', owner: 'h:1', lease_epoch: 1 };
const op = (inbox_id: number, command: string, payload: unknown = { reason: 'x' }): RuntimeCommand =>
  ({ kind: 'operator.command', time_ms: 2000 + inbox_id, inbox_id, command, payload: payload as never, issued_by: 'ops' });

function given(events: NewEvent[]) {
  const state = fold(bookDecider, events);
  return { when: (c: RuntimeCommand) => bookDecider.decide(c, state) };
}

function run(commands: RuntimeCommand[]): NewEvent[] {
  let state = bookDecider.initialState();
  const all: NewEvent[] = [];
  for (const c of commands) {
    const r = handle(bookDecider, state, c);
    all.push(...r.events);
    state = r.state;
  }
  return all;
}

test('first start opens the book, then records the start', () => {
  const events = given([]).when(start);
  assert.deepEqual(events.map((e) => e.type), ['book.opened', 'runtime.started']);
  assert.deepEqual(events[0]!.payload, { book_id: 'main', execution_plane: 'PAPER' });
  assert.equal((events[1]!.payload as { after_crash: boolean }).after_crash, false);
});

test('a start after a start without a stop is marked after_crash', () => {
  const events = given(run([start])).when(start);
  assert.deepEqual(events.map((e) => e.type), ['runtime.started']);
  assert.equal((events[0]!.payload as { after_crash: boolean }).after_crash, true);
});

test('a start with another plane or book id is refused (nothing to write)', () => {
  const history = run([start]);
  assert.throws(() => given(history).when({ ...start, execution_plane: 'SHADOW' }), BookCommandError);
  assert.throws(() => given(history).when({ ...start, book_id: 'other' }), /holds book main/);
  assert.throws(() => given([]).when({ ...start, book_id: 'Bad Id' }), BookCommandError);
});

test('pause then resume are applied; repeats and unknown commands are rejected with a reason', () => {
  const events = run([start, op(1, 'book.pause'), op(2, 'book.pause'), op(3, 'book.resume'), op(4, 'book.flatten'), op(5, 'book.pause', { size: 1 })]);
  const tail = events.slice(2);
  assert.deepEqual(tail.map((e) => e.type), ['operator.command_applied', 'operator.command_rejected', 'operator.command_applied', 'operator.command_rejected', 'operator.command_rejected']);
  assert.match(String((tail[1]!.payload as { why: string }).why), /already PAUSED/);
  assert.match(String((tail[3]!.payload as { why: string }).why), /unknown command/);
  assert.match(String((tail[4]!.payload as { why: string }).why), /unknown payload field/);
  const s = fold(bookDecider, events);
  assert.equal(s.status, 'ACTIVE');
  assert.equal(s.last_inbox_id, 5);
  assert.equal(s.counts.commands_applied, 2);
  assert.equal(s.counts.commands_rejected, 3);
});

test('an inbox command already answered yields no event (idempotent)', () => {
  const history = run([start, op(1, 'book.pause')]);
  assert.deepEqual(given(history).when(op(1, 'book.pause')), []);
  assert.deepEqual(given(history).when(op(1, 'book.resume')), []);
});

test('an overlong reason is rejected, not truncated', () => {
  const events = given(run([start])).when(op(1, 'book.pause', { reason: 'r'.repeat(501) }));
  assert.equal(events[0]!.type, 'operator.command_rejected');
});

test('stop without start is impossible; stop after start clears running', () => {
  assert.throws(() => given([]).when({ kind: 'runtime.stop', time_ms: 1, reason: 'signal' }), BookCommandError);
  const s = fold(bookDecider, run([start, { kind: 'runtime.stop', time_ms: 3000, reason: 'SIGTERM' }]));
  assert.equal(s.running, false);
  assert.equal(s.counts.stops, 1);
});

test('evolve refuses an unknown event type instead of skipping history', () => {
  assert.throws(() => bookDecider.evolve(INITIAL_BOOK_STATE, { type: 'order.filled', time_ms: 1, payload: {} }), /does not know event type/);
});

test('codec round-trips and the state hash is stable and sensitive to every field', () => {
  const s = fold(bookDecider, run([start, op(1, 'book.pause')]));
  const decoded = bookStateCodec.decode(JSON.parse(JSON.stringify(bookStateCodec.encode(s))));
  assert.deepEqual(decoded, s);
  assert.equal(stateHashHex(bookStateCodec, decoded), stateHashHex(bookStateCodec, s));
  assert.match(stateHashHex(bookStateCodec, s), /^[0-9a-f]{64}$/);
  assert.notEqual(stateHashHex(bookStateCodec, { ...s, last_inbox_id: 2 }), stateHashHex(bookStateCodec, s));
  assert.notEqual(stateHashHex(bookStateCodec, { ...s, status: 'ACTIVE' }), stateHashHex(bookStateCodec, s));
});

test('codec decode names the bad field', () => {
  const good = bookStateCodec.encode(INITIAL_BOOK_STATE) as Record<string, unknown>;
  assert.throws(() => bookStateCodec.decode({ ...good, v: 2 } as never), /version 2/);
  assert.throws(() => bookStateCodec.decode({ ...good, status: 'LIVE' } as never), /status/);
  assert.throws(() => bookStateCodec.decode({ ...good, execution_plane: 'LIVE' } as never), (e: Error) => e instanceof BookStateError && /execution_plane/.test(e.message));
  assert.throws(() => bookStateCodec.decode({ ...good, last_inbox_id: -1 } as never), /last_inbox_id/);
  assert.throws(() => bookStateCodec.decode({ ...good, extra: 1 } as never), /unexpected fields/);
});
