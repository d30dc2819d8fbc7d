/** Execution modules: the effects a module may use are the ones it declared; anything else is refused, not done. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guardEffects, MODULES, runModule, type Effects } from './modules.js';

/** Effects that record what was called (and answer null: done). */
function recording(): { fx: Effects; calls: string[] } {
  const calls: string[] = [];
  const done = (what: string) => () => {
    calls.push(what);
    return null;
  };
  const fx: Effects = {
    placeOrder: done('placeOrder'), setStatus: (to) => done(`setStatus:${to}`)(), flatten: done('flatten'), resetTier: done('resetTier'),
    changeProfile: done('changeProfile'), changePolicy: done('changePolicy'), setSkillState: (to) => done(`setSkillState:${to}`)(), enableEpochAuto: done('enableEpochAuto'),
  };
  return { fx, calls };
}

test('a declared effect goes through with its argument; an undeclared one is refused, not done, and the first refused is remembered', () => {
  const { fx, calls } = recording();
  const g = guardEffects(['order.place', 'book.status'], fx);
  assert.equal(g.placeOrder(), null);
  assert.equal(g.setStatus('PAUSED'), null);
  assert.equal(g.flatten(), null); // flatten places orders: order.place
  assert.equal(g.undeclared, null);
  assert.equal(g.resetTier(), 'undeclared side effect risk.tier');
  assert.equal(g.changePolicy(), 'undeclared side effect policy');
  assert.equal(g.setSkillState('ACTIVE'), 'undeclared side effect skills');
  assert.equal(g.undeclared, 'risk.tier');
  assert.deepEqual(calls, ['placeOrder', 'setStatus:PAUSED', 'flatten']);
});

test('a module that declares nothing can do nothing; every registered module runs only with what it declared', () => {
  const { fx, calls } = recording();
  const none = guardEffects([], fx);
  for (const call of [() => none.placeOrder(), () => none.setStatus('ACTIVE'), () => none.changeProfile(), () => none.enableEpochAuto()]) assert.match(String(call()), /^undeclared side effect /);
  assert.deepEqual(calls, []);
  const input = { directive_id: 'D1', type: 'order.open', payload: null, idempotency_key: 'k' };
  assert.deepEqual(runModule('paper.order', input, fx), { status: 'SUCCESS', detail: 'order placed on the paper plane' });
  assert.deepEqual(runModule('book.control', { ...input, type: 'book.pause' }, fx), { status: 'SUCCESS', detail: 'book paused' });
  assert.deepEqual(runModule('noop', input, fx), { status: 'SUCCESS', detail: 'nothing done' });
  assert.deepEqual(calls, ['placeOrder', 'setStatus:PAUSED']);
  assert.deepEqual([...MODULES.keys()].sort(), ['book.control', 'echo', 'fail_intentionally', 'noop', 'paper.order']);
});
