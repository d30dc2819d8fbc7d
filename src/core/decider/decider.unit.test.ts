/** The decider helpers, read as given(events).when(command).then(events). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fold, handle, type Decider } from './index.js';
import type { NewEvent } from '../events/envelope.js';

type Cmd = { kind: 'deposit'; amount: number; at: number } | { kind: 'withdraw'; amount: number; at: number };
type Ev = NewEvent<'deposited' | 'withdrawn' | 'withdrawal_denied', { amount: number; reason?: string }>;
const account: Decider<Cmd, { balance: number }, Ev> = {
  initialState: () => ({ balance: 0 }),
  evolve: (s, e) => (e.type === 'deposited' ? { balance: s.balance + e.payload.amount } : e.type === 'withdrawn' ? { balance: s.balance - e.payload.amount } : s),
  decide: (c, s) =>
    c.kind === 'deposit'
      ? [{ type: 'deposited', time_ms: c.at, payload: { amount: c.amount } }]
      : c.amount > s.balance
        ? [{ type: 'withdrawal_denied', time_ms: c.at, payload: { amount: c.amount, reason: 'insufficient_funds' } }]
        : [{ type: 'withdrawn', time_ms: c.at, payload: { amount: c.amount } }],
};

const given = (history: Ev[]) => ({
  when: (cmd: Cmd) => ({
    then: (expected: Ev[]) => assert.deepEqual(handle(account, fold(account, history), cmd).events, expected),
  }),
});

test('given a deposit, when withdrawing more, then it is denied with a reason and nothing moves', () => {
  given([{ type: 'deposited', time_ms: 1, payload: { amount: 10 } }])
    .when({ kind: 'withdraw', amount: 11, at: 2 })
    .then([{ type: 'withdrawal_denied', time_ms: 2, payload: { amount: 11, reason: 'insufficient_funds' } }]);
});

test('handle returns the state after the new events, equal to folding the whole history', () => {
  const h: Ev[] = [{ type: 'deposited', time_ms: 1, payload: { amount: 10 } }];
  const r = handle(account, fold(account, h), { kind: 'withdraw', amount: 4, at: 2 });
  assert.deepEqual(r.state, fold(account, [...h, ...r.events]));
  assert.equal(r.state.balance, 6);
});
