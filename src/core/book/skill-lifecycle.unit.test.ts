/**
 * The skill registry and lifecycle in a book, and the operator's retry of a blocked directive,
 * given/when/then on tiny hand-built bars: each lifecycle move is a directive through the one
 * transition check (an invalid edge names both states, nothing changes); a DEPRECATED skill still
 * closes but opens nothing new; REMOVED is final; a retried directive is judged again by the policy
 * at the next tick, its timebox still applies, and an expired one cannot be retried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CanonicalValue } from '../canonical/index.js';
import { BookHarness, candlesOf, ofType, opCommand, P, T0 } from '../../../test/support/book.js';
import { encodeEvent, decodeEvent, type BookConfigInput, type BookEvent, type RuntimeCommand } from './index.js';
import { SKILL_STATES, SkillLifecycleError, skillNextStates, skillTransition } from '../governance/index.js';
import { skillRegistry } from '../skills/registry.js';
import { EvolveError } from './evolve.js';

type Rec = Record<string, CanonicalValue>;
const config = (pol: Rec | null): BookConfigInput => ({
  book_id: 'reg', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 1, slow: 2, atr_period: 1 } }],
  sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000', ...(pol === null ? {} : { governance: { policy: { version: 'test-1', ...pol } } }),
});
// the sign of the close's change: up at 20100 (enter, fills next bar), down at 20150 (exit), up at 20300 (enter again)
const BARS = candlesOf([20000, 20000, 20050, 20000, 20100, 20200, 20150, 20100, 20300, 20400, 20500, 20600]);
let inbox = 500;
function op(h: BookHarness, command: string, payload: CanonicalValue, name = 'alice'): BookEvent[] {
  return h.apply({ ...opCommand(++inbox, command, payload, h.state.time_ms + 60_000), issued_by: `operator:${name}` } as RuntimeCommand);
}
const PE = (e: BookEvent | undefined): Rec => P(e === undefined ? undefined : encodeEvent(e)) as Rec;
const skillMoves = (h: BookHarness) => ofType(h.encoded, 'skill.status_changed').map((e) => [P(e).from, P(e).to]);
const lastRun = (h: BookHarness) => P(ofType(h.encoded, 'execution.status_changed').at(-1));
function assertFolds(h: BookHarness): void {
  let folded = h.kernel.decider.initialState();
  for (const e of h.encoded) folded = h.kernel.applyStored(folded, JSON.parse(JSON.stringify(e)) as never);
  assert.equal(h.kernel.stateHash(folded), h.stateHash(), 'the stored events fold to the same state');
  for (const e of h.encoded) assert.deepEqual(encodeEvent(decodeEvent(e)), e, `${e.type} round-trips its codec`);
}
function run(pol: Rec | null, n: number): BookHarness {
  const h = new BookHarness(config(pol));
  h.start(T0);
  h.ticks(BARS.slice(0, n));
  return h;
}

test('skill lifecycle: exactly REGISTERED -> ACTIVE -> DEPRECATED -> REMOVED (+ deactivate, quarantine beside); an invalid edge names both states', () => {
  assert.deepEqual([...SKILL_STATES], ['REGISTERED', 'ACTIVE', 'DEPRECATED', 'REMOVED', 'QUARANTINED']);
  assert.equal(skillTransition('x@1', 'REGISTERED', 'ACTIVE'), 'ACTIVE');
  assert.equal(skillTransition('x@1', 'ACTIVE', 'DEPRECATED'), 'DEPRECATED');
  assert.equal(skillTransition('x@1', 'DEPRECATED', 'REMOVED'), 'REMOVED');
  assert.equal(skillTransition('x@1', 'ACTIVE', 'REGISTERED'), 'REGISTERED');
  assert.deepEqual(skillNextStates('REMOVED'), [], 'REMOVED is final');
  assert.throws(() => skillTransition('x@1', 'REGISTERED', 'DEPRECATED'), (e: Error) => e instanceof SkillLifecycleError && /x@1: REGISTERED -> DEPRECATED is not a lifecycle transition \(from REGISTERED: ACTIVE\)/.test(e.message));
  assert.throws(() => skillTransition('x@1', 'REMOVED', 'ACTIVE'), /REMOVED -> ACTIVE .*none: it is final/);
  assert.throws(() => skillTransition('x@1', 'ACTIVE', 'REMOVED'), /ACTIVE -> REMOVED/);
});

test('the registry declares each skill: id, version, task types, inputs, permissions (from its outputs) and side effects', () => {
  const reg = skillRegistry();
  const sma = reg.find((d) => d.key === 'sma-cross@1');
  assert.ok(sma !== undefined);
  assert.deepEqual([sma.id, sma.version, sma.task_types, sma.permissions, sma.side_effects], ['sma-cross', '1', ['skill.evaluate'], ['order.close', 'order.open'], ['directive.propose', 'skill.memory']]);
  assert.deepEqual(reg.map((d) => d.key), ['donchian-breakout@1', 'rsi-reversion@1', 'sma-cross@1']);
});

test('given a running book, when a skill is deprecated, then it still exits but its new entries are blocked by skill.lifecycle', () => {
  const h = run(null, 6); // entered at 20100, filled at 20200
  assert.equal(ofType(h.encoded, 'fill.executed').length, 1);
  op(h, 'directive.propose', { type: 'skill.deprecate', payload: { skill: 'sma-cross@1' } });
  assert.deepEqual(skillMoves(h), [['ACTIVE', 'DEPRECATED']], 'skill.deprecate needs no approval by default: it only narrows what runs');
  assert.equal(h.state.skill_states.get('sma-cross@1'), 'DEPRECATED');
  h.ticks(BARS.slice(6, 12));
  const signals = ofType(h.encoded, 'signal.emitted').map((e) => P(e).action);
  assert.deepEqual(signals, ['enter', 'exit', 'enter'], 'the deprecated skill still runs');
  const verdicts = ofType(h.encoded, 'policy.evaluated').map((e) => P(e).verdict);
  assert.deepEqual(verdicts, ['ALLOW', 'ALLOW', 'ALLOW', 'BLOCK'], 'entry, deprecate, exit allowed; the new entry blocked');
  const block = P(ofType(h.encoded, 'policy.evaluated').at(-1));
  assert.match(JSON.stringify(block.results), /skill\.lifecycle.*sma-cross@1 is DEPRECATED: it may close and reduce, it opens nothing new/);
  assert.equal(ofType(h.encoded, 'fill.executed').length, 2, 'the exit filled, the blocked entry never');
  assertFolds(h);
});

test('given a deprecated skill, when removed, then it never runs again; REMOVED is final and a move out of it fails naming both states', () => {
  const h = run(null, 3);
  op(h, 'directive.propose', { type: 'skill.remove', payload: { skill: 'sma-cross@1' } });
  assert.match(String(lastRun(h).detail), /FAILURE: skill sma-cross@1: ACTIVE -> REMOVED is not a lifecycle transition \(from ACTIVE: REGISTERED, DEPRECATED, QUARANTINED\)/);
  assert.deepEqual(skillMoves(h), [], 'an invalid edge changes nothing');
  op(h, 'directive.propose', { type: 'skill.deprecate', payload: { skill: 'sma-cross@1' } });
  op(h, 'directive.propose', { type: 'skill.remove', payload: { skill: 'sma-cross@1' } });
  assert.deepEqual(skillMoves(h), [['ACTIVE', 'DEPRECATED'], ['DEPRECATED', 'REMOVED']]);
  const ticks = h.ticks(BARS.slice(3, 12));
  assert.equal(ticks.filter((e) => e.type === 'signal.emitted').length, 0, 'a removed skill runs no more');
  op(h, 'directive.propose', { type: 'skill.activate', payload: { skill: 'sma-cross@1' } });
  const waiting = [...h.state.directives.values()].find((d) => d.status === 'proposed');
  assert.ok(waiting !== undefined, 'skill.activate waits for a named approver');
  op(h, 'directive.approve', { directive_id: waiting.directive.directive_id }, 'bob');
  assert.match(String(lastRun(h).detail), /REMOVED -> ACTIVE is not a lifecycle transition \(from REMOVED: none: it is final\)/);
  assert.equal(h.state.skill_states.get('sma-cross@1'), 'REMOVED');
  assertFolds(h);
});

test('given an active skill, when deactivated, then it is REGISTERED (not running) until an approved skill.activate', () => {
  const h = run(null, 3);
  op(h, 'directive.propose', { type: 'skill.deactivate', payload: { skill: 'sma-cross@1' } });
  assert.equal(h.state.skill_states.get('sma-cross@1'), 'REGISTERED');
  assert.equal(h.ticks(BARS.slice(3, 6)).filter((e) => e.type === 'signal.emitted').length, 0);
  op(h, 'directive.propose', { type: 'skill.activate', payload: { skill: 'sma-cross@1' } });
  const id = [...h.state.directives.values()].find((d) => d.status === 'proposed')!.directive.directive_id;
  op(h, 'directive.approve', { directive_id: id }, 'bob');
  assert.deepEqual(skillMoves(h), [['ACTIVE', 'REGISTERED'], ['REGISTERED', 'ACTIVE']]);
  assert.equal(h.state.skill_states.has('sma-cross@1'), false, 'ACTIVE again (the configured default)');
  assertFolds(h);
});

test('evolve refuses a recorded skill change that does not start where the skill is, or is not an edge', () => {
  const h = run(null, 2);
  const bad = (from: string, to: string) => ({ type: 'skill.status_changed', time_ms: h.state.time_ms, payload: { skill: 'sma-cross@1', from, to, reason: 'forged' } });
  assert.throws(() => h.kernel.applyStored(h.state, bad('REGISTERED', 'ACTIVE') as never), (e: Error) => e instanceof EvolveError && /recorded REGISTERED -> ACTIVE, but it is ACTIVE/.test(e.message));
  assert.throws(() => h.kernel.applyStored(h.state, bad('ACTIVE', 'REMOVED') as never), /ACTIVE -> REMOVED is not a lifecycle transition/);
});

test('given a blocked entry, when an operator retries it, then it is proposed again and the policy judges it at the next tick', () => {
  const h = run({ budget: { notional_per_directive_max: '1000' } }, 5);
  const ev = ofType(h.encoded, 'policy.evaluated');
  assert.deepEqual(ev.map((e) => P(e).verdict), ['BLOCK']);
  assert.equal(h.state.directives.get('D1')?.status, 'blocked', 'a blocked directive is kept for a retry while its timebox runs');
  const r = op(h, 'directive.retry', { directive_id: 'D1', note: 'try again' });
  assert.deepEqual(r.map((e) => e.type), ['step.started', 'operator.command_applied', 'directive.status_changed']);
  assert.deepEqual([PE(r[2]).from, PE(r[2]).to, PE(r[2]).by, PE(r[2]).note], ['blocked', 'proposed', 'operator:alice', 'try again']);
  assert.match(String(PE(op(h, 'directive.approve', { directive_id: 'D1' })[1]).why), /retried and waits for the policy's new verdict/);
  const t = h.ticks(BARS.slice(5, 6));
  assert.deepEqual(ofType(t.map(encodeEvent), 'policy.evaluated').map((e) => [P(e).directive_id, P(e).verdict]), [['D1', 'BLOCK']], 're-judged: still over the budget');
  // raise the budget (a policy change, approved), retry, and the entry goes through at the next tick
  op(h, 'directive.propose', { type: 'policy.change', payload: { policy: { version: 'test-2' } } });
  op(h, 'directive.approve', { directive_id: 'D2' }, 'bob');
  assert.equal(h.state.policy?.version, 'test-2');
  op(h, 'directive.retry', { directive_id: 'D1' });
  const t2 = h.ticks(BARS.slice(6, 7));
  const judged = ofType(t2.map(encodeEvent), 'policy.evaluated');
  assert.deepEqual(judged.map((e) => [P(e).directive_id, P(e).verdict, P(e).policy_version]), [['D1', 'ALLOW', 'test-2']]);
  assert.equal(ofType(t2.map(encodeEvent), 'order.placed').length, 1);
  h.ticks(BARS.slice(7, 8));
  assert.equal(ofType(h.encoded, 'fill.executed').length, 1, 'one fill on the next bar');
  assertFolds(h);
});

test('given a blocked directive whose timebox ended, when retried, then it is rejected and nothing else is written; a proposed one cannot be retried', () => {
  const h = run({ budget: { notional_per_directive_max: '1000' }, approval: { timebox_bars: 2 } }, 5);
  assert.equal(h.state.directives.get('D1')?.status, 'blocked');
  h.ticks(BARS.slice(5, 7));
  assert.equal(h.state.directives.has('D1'), false, 'its timebox ended: no longer kept');
  const r = op(h, 'directive.retry', { directive_id: 'D1' });
  assert.deepEqual(r.map((e) => e.type), ['step.started', 'operator.command_rejected']);
  assert.match(String(PE(r[1]).why), /D1 cannot be retried: only a blocked directive whose timebox has not ended/);
  const w = run({ approval: { notional_above: '1000' } }, 5);
  assert.equal(w.state.directives.get('D1')?.status, 'proposed');
  assert.match(String(PE(op(w, 'directive.retry', { directive_id: 'D1' })[1]).why), /D1 cannot be retried/);
  assert.match(String(PE(op(w, 'directive.retry', { directive_id: 'D1', reason: 'x' })[1]).why), /unknown payload field\(s\) reason/);
  assertFolds(h);
  assertFolds(w);
});
