/**
 * Governance in the book, given/when/then on tiny hand-built bars: a skill's entry above the
 * approval threshold waits (proposed) across ticks until a named operator approves it, then fills
 * on the next bar; rejected or expired directives never fill; a BLOCK names its rule and the policy
 * version; a policy change is itself a directive and applies only to what is evaluated after it;
 * a failing skill makes the tick DEGRADED, a harness error HALTED until `book resume`; a
 * reducing-only book sizes normally again only after an approved risk.tier.reset; drills run the
 * noop / echo / fail_intentionally modules; the SHADOW plane places nothing; bad commands are
 * rejected with a reason and change nothing. Every run's events fold back to its state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CanonicalValue } from '../canonical/index.js';
import { fold } from '../decider/index.js';
import { BookHarness, candlesOf, given, H, ofType, opCommand, P, T0 } from '../../../test/support/book.js';
import { bookKernel, decodeEvent, encodeEvent, resolveBook, type BookConfigInput, type BookEvent, type RuntimeCommand } from './index.js';
import { globMatch, LifecycleError, PolicyError, resolvePolicy, transition } from '../governance/index.js';
import type { Skill } from '../skills/types.js';

type Rec = Record<string, CanonicalValue>;
const PE = (e: BookEvent | undefined): Rec => P(e === undefined ? undefined : encodeEvent(e));
const policy = (o: Rec = {}): Rec => ({ version: 'test-1', ...o });
const config = (pol: Rec | null, o: Partial<BookConfigInput> = {}): BookConfigInput => ({
  book_id: 'gov', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 1, slow: 2, atr_period: 1 } }],
  sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000', ...(pol === null ? {} : { governance: { policy: pol } }), ...o,
});
// sign of SMA(1) - SMA(2) = sign of the close's change: the up-cross at bar 4 asks to enter (~4000 of notional)
const BARS = candlesOf([20000, 20000, 20050, 20000, 20100, 20200, 20300, 20400, 20500, 20600, 20700, 20800]);
const types = (es: readonly BookEvent[]) => es.map((e) => e.type);
const statuses = (h: BookHarness) => ofType(h.encoded, 'directive.status_changed').map((e) => [P(e).directive_id, P(e).from, P(e).to, P(e).by]);
const asOp = (c: RuntimeCommand, name = 'alice'): RuntimeCommand => ({ ...c, issued_by: `operator:${name}` } as RuntimeCommand);

function run(cfg: BookConfigInput, n: number): BookHarness {
  const h = new BookHarness(cfg);
  h.start(T0);
  h.ticks(BARS.slice(0, n));
  return h;
}
let inbox = 100;
function op(h: BookHarness, command: string, payload: CanonicalValue, name = 'alice'): BookEvent[] {
  return h.apply(asOp(opCommand(++inbox, command, payload, h.state.time_ms + 60_000), name));
}
function assertFolds(h: BookHarness): void {
  let folded = h.kernel.decider.initialState();
  for (const e of h.encoded) folded = h.kernel.applyStored(folded, JSON.parse(JSON.stringify(e)) as never);
  assert.equal(h.kernel.stateHash(folded), h.stateHash(), 'the stored events fold to the same state');
  for (const e of h.encoded) assert.deepEqual(encodeEvent(decodeEvent(e)), e, `${e.type} round-trips its codec`);
}

test('lifecycle: only the listed transitions; an invalid one names both states', () => {
  assert.equal(transition('D1', 'draft', 'proposed'), 'proposed');
  assert.equal(transition('D1', 'blocked', 'proposed'), 'proposed', 'blocked -> proposed is the retry');
  assert.equal(transition('D1', 'approved', 'blocked'), 'blocked');
  assert.equal(transition('D1', 'executing', 'aborted'), 'aborted');
  assert.throws(() => transition('D7', 'proposed', 'complete'), (e: Error) => e instanceof LifecycleError && /D7: proposed -> complete is not a lifecycle transition \(from proposed: approved, blocked\)/.test(e.message));
  assert.throws(() => transition('D7', 'complete', 'proposed'), /complete -> proposed .*none: it is final/);
  assert.throws(() => transition('D7', 'draft', 'approved'), /draft -> approved/);
});

test('policy: a malformed document is refused naming the field; globs match whole names', () => {
  assert.throws(() => resolvePolicy({ version: 'x', budget: { notional_per_day_max: '1e4' } }), (e: Error) => e instanceof PolicyError && /policy\.budget\.notional_per_day_max: a non-negative decimal/.test(e.message));
  assert.throws(() => resolvePolicy({ version: 'x', approval: { types: ['order.teleport'] } }), /policy\.approval\.types\.0/);
  assert.throws(() => resolvePolicy({ version: 'x', extra: 1 }), /policy\.\(root\)|policy\.: |extra/);
  assert.throws(() => resolvePolicy({}), /policy\.version/);
  const a = resolvePolicy({ version: 'v1' });
  assert.equal(a.hash, resolvePolicy({ version: 'v1', scope: { books: ['*'], symbols: null } }).hash, 'defaults are part of the hashed document');
  assert.notEqual(a.hash, resolvePolicy({ version: 'v2' }).hash);
  assert.ok(globMatch('analyst:*', 'analyst:gpt') && !globMatch('analyst:*', 'skill:x') && globMatch('*', 'x') && globMatch('a*c*e', 'abcde') && !globMatch('a*c', 'ab'));
});

test('a skill entry above the approval threshold waits across ticks, is approved by a named operator, then fills on the next bar', () => {
  const h = run(config(policy({ approval: { notional_above: '1000' } })), 5);
  const ev = ofType(h.encoded, 'policy.evaluated');
  assert.equal(ev.length, 1);
  assert.deepEqual([P(ev[0]).verdict, P(ev[0]).policy_version, P(ev[0]).policy_hash], ['NEEDS_APPROVAL', 'test-1', h.state.policy!.hash]);
  assert.match(JSON.stringify(P(ev[0]).results), /approval\.notional_above/);
  assert.match(String(P(ev[0]).artifact_hash), /^[0-9a-f]{64}$/);
  assert.equal(ofType(h.encoded, 'order.placed').length, 0, 'nothing reaches the paper plane while it waits');
  h.ticks(BARS.slice(5, 8));
  assert.equal(h.state.directives.get('D1')?.status, 'proposed', 'still waiting three bars later; the book kept running');
  assert.equal(ofType(h.encoded, 'mark.recorded').length, 8);
  // given the log so far, when alice approves: approved (human override), executing, run, order, complete
  const cmd = asOp(opCommand(1, 'directive.approve', { directive_id: 'D1', note: 'sized right' }, h.state.time_ms + 60_000));
  given(h.kernel, h.events).when(cmd).then([
    'step.started', 'operator.command_applied', 'directive.status_changed', 'directive.status_changed', 'execution.status_changed', 'order.placed',
    'execution.status_changed', 'directive.status_changed',
  ]);
  const out = h.apply(cmd);
  assert.deepEqual([PE(out[2]).by, PE(out[2]).human_override, PE(out[2]).note], ['operator:alice', true, 'sized right']);
  assert.equal(out[5]!.time_ms, h.state.time_ms, 'decided at the book\'s market time');
  assert.deepEqual([PE(out[6]).to, PE(out[6]).idempotency_key], ['completed', 'signal:S1']);
  const fills = types(h.ticks(BARS.slice(8, 9)));
  assert.ok(fills.includes('fill.executed'), 'fills on the next bar');
  assert.equal(h.state.directives.size, 0);
  assertFolds(h);
});

test('rejected or expired directives never fill; approving them (or twice, or an unknown id) is rejected with a reason', () => {
  const h = run(config(policy({ approval: { notional_above: '1000', timebox_bars: 3 } })), 5);
  op(h, 'directive.reject', { directive_id: 'D1', reason: 'too big' });
  assert.deepEqual(statuses(h).at(-1), ['D1', 'proposed', 'blocked', 'operator:alice']);
  assert.equal(PE(h.events.at(-1)).reason, 'rejected: too big');
  const again = op(h, 'directive.approve', { directive_id: 'D1' });
  assert.deepEqual(types(again), ['step.started', 'operator.command_rejected']);
  assert.match(String(PE(again[1]).why), /D1 is not waiting for approval/);
  assert.match(String(PE(op(h, 'directive.approve', { directive_id: 'D99' })[1]).why), /D99 is not waiting/);
  assert.match(String(PE(op(h, 'directive.approve', { directive_id: 'x' })[1]).why), /directive_id must look like "D12"/);
  assert.match(String(PE(op(h, 'directive.reject', { directive_id: 'D1' })[1]).why), /reason is required/);
  const unnamed = h.apply(opCommand(999, 'directive.approve', { directive_id: 'D1' }, h.state.time_ms + 1));
  assert.match(String(PE(unnamed[1]).why), /needs a named operator/);
  h.ticks(BARS.slice(5, 12));
  assert.equal(ofType(h.encoded, 'fill.executed').length, 0, 'rejected: never filled');
  // expiry: a new book whose entry waits 3 bars
  const e = run(config(policy({ approval: { notional_above: '1000', timebox_bars: 3 } })), 7);
  assert.equal(e.state.directives.get('D1')?.status, 'proposed');
  e.ticks(BARS.slice(7, 8));
  assert.deepEqual(statuses(e).at(-1), ['D1', 'proposed', 'blocked', 'policy']);
  assert.equal(P(ofType(e.encoded, 'directive.status_changed').at(-1)).reason, 'timebox_expired');
  assert.match(String(PE(op(e, 'directive.approve', { directive_id: 'D1' })[1]).why), /not waiting for approval/);
  e.ticks(BARS.slice(8, 12));
  assert.equal(ofType(e.encoded, 'fill.executed').length, 0, 'expired: never filled');
  assertFolds(h);
  assertFolds(e);
});

test('a BLOCK names the rule and the policy version; a policy change is a directive that needs approval and applies only after it', () => {
  const h = run(config(policy({ budget: { notional_per_directive_max: '1000' }, modules_allowed: ['paper.order', 'book.control', 'noop'] })), 5);
  const ev = P(ofType(h.encoded, 'policy.evaluated')[0]);
  assert.deepEqual([ev.verdict, ev.policy_version], ['BLOCK', 'test-1']);
  assert.match(String(P(ofType(h.encoded, 'directive.status_changed')[0]).reason), /^budget\.notional_per_directive_max: notional [0-9.]+ > 1000$/);
  const echo1 = op(h, 'directive.propose', { type: 'module.run', objective: 'drill', payload: { module: 'echo', say: 'hi' } }, 'bob');
  assert.equal(PE(echo1.find((e) => e.type === 'policy.evaluated')).verdict, 'BLOCK');
  assert.match(String(PE(echo1.at(-1)).reason), /^modules_allowed: module echo is not in modules_allowed/);
  const change = op(h, 'directive.propose', { type: 'policy.change', objective: 'allow every module', payload: { policy: { version: 'test-2' } } }, 'bob');
  assert.equal(PE(change.find((e) => e.type === 'policy.evaluated')).verdict, 'NEEDS_APPROVAL', 'a policy change needs a named approver');
  assert.equal(h.state.policy!.version, 'test-1', 'not in force before approval');
  const id = String((PE(change.find((e) => e.type === 'directive.proposed')).directive as Rec).directive_id);
  op(h, 'directive.approve', { directive_id: id }, 'carol');
  assert.equal(h.state.policy!.version, 'test-2');
  assert.deepEqual(ofType(h.encoded, 'policy.changed').map((e) => [P(e).version, P(e).by]), [['test-1', 'config'], ['test-2', id]]);
  const echo2 = op(h, 'directive.propose', { type: 'module.run', objective: 'drill', payload: { module: 'echo', say: 'hi' } }, 'bob');
  const ev2 = PE(echo2.find((e) => e.type === 'policy.evaluated'));
  assert.deepEqual([ev2.verdict, ev2.policy_version], ['ALLOW', 'test-2']);
  assert.match(String(PE(echo2.filter((e) => e.type === 'execution.status_changed').at(-1)).detail), /^SUCCESS: echo \{"module":"echo","say":"hi"\}/);
  assert.deepEqual(statuses(h).filter((x) => x[0] === 'D2').map((x) => x[2]), ['blocked'], 'the directive blocked under test-1 stays blocked');
  assertFolds(h);
});

test('drills: noop completes, fail_intentionally fails its run and aborts the directive (failure and error alike)', () => {
  const h = run(config(null), 3);
  for (const [module, payload, run, dir] of [['noop', {}, 'completed', 'complete'], ['fail_intentionally', {}, 'failed', 'aborted'], ['fail_intentionally', { mode: 'error' }, 'failed', 'aborted']] as const) {
    const out = op(h, 'directive.propose', { type: 'module.run', payload: { module, ...payload } });
    const runs = out.filter((e) => e.type === 'execution.status_changed').map((e) => [PE(e).module, PE(e).from, PE(e).to]);
    assert.deepEqual(runs, [[module, 'pending', 'running'], [module, 'running', run]]);
    assert.equal(PE(out.at(-1)).to, dir);
  }
  assert.match(String(PE(op(h, 'directive.propose', { type: 'module.run', payload: { module: 'paper.order' } })[1]).why), /payload\.module must be one of noop, echo, fail_intentionally/);
  assert.match(String(PE(op(h, 'directive.propose', { type: 'order.open' })[1]).why), /type must be one of .* \(orders come from skills\)/);
  assert.match(String(PE(op(h, 'directive.propose', { type: 'policy.change', payload: { policy: { version: 'x', budget: { notional_per_day_max: 'lots' } } } })[1]).why), /payload\.policy\.budget\.notional_per_day_max/);
  assert.equal(h.state.directives.size, 0);
  assertFolds(h);
});

test('a reducing-only book sizes normally again only after an approved risk.tier.reset', () => {
  const cfg = config(null, {
    skills: [{ skill: 'rsi-reversion', symbols: ['BTC/USD'], params: { period: 2, rsi_window: 10, stop_loss_pct: 90 } }],
    sizing: { mode: 'pct_equity', pct: '100' },
    risk: { profile: 'default@1', overrides: { asset_exposure_pct_max: '100', cooldown_bars: 0, reduced_at_drawdown_pct: '5', reducing_only_at_drawdown_pct: '15', halted_at_drawdown_pct: '60' } },
  });
  // the entry filled at 19000 falls to 14000 (reducing only from 15 %), the skill exits on the bounce: flat, still reducing only
  const path = [20000, 20100, 20200, 20300, 20400, 20500, 20600, 20700, 20800, 20900, 20000, 19000, 17000, 15000, 14500, 14000, 15000, 15500, 15600, 15700];
  const later = candlesOf([...path, 15500, 14500], {}).slice(path.length);
  const h = new BookHarness(cfg);
  h.start(T0);
  h.ticks(candlesOf(path));
  assert.equal(h.state.tier, 'reducing_only');
  assert.equal(h.state.positions.size, 0, 'flat: nothing can lift the tier by itself');
  // without a reset, the next entry is blocked by the tier
  const stuck = new BookHarness(cfg);
  stuck.start(T0);
  stuck.ticks(candlesOf(path));
  stuck.ticks(later);
  const blocked = ofType(stuck.encoded, 'policy.evaluated').at(-1);
  assert.equal(P(blocked).verdict, 'BLOCK');
  assert.match(JSON.stringify(P(blocked).results), /tier_reducing_only/);
  const reset = op(h, 'directive.propose', { type: 'risk.tier.reset', objective: 'new regime' }, 'bob');
  assert.equal(PE(reset.find((e) => e.type === 'policy.evaluated')).verdict, 'NEEDS_APPROVAL');
  assert.equal(h.state.tier, 'reducing_only', 'nothing changes before the approval');
  const id = String((PE(reset.find((e) => e.type === 'directive.proposed')).directive as Rec).directive_id);
  const ok = op(h, 'directive.approve', { directive_id: id }, 'carol');
  assert.deepEqual(types(ok).filter((t) => t.startsWith('risk.')), ['risk.peak_reset', 'risk.tier_changed']);
  const changed = PE(ok.find((e) => e.type === 'risk.tier_changed'));
  assert.deepEqual([changed.from, changed.to], ['reducing_only', 'normal']);
  assert.ok(h.state.peak_equity.eq(h.state.equity));
  h.ticks(later);
  const entry = ofType(h.encoded, 'policy.evaluated').at(-1);
  assert.equal(P(entry).verdict, 'ALLOW', 'after the reset the same entry is allowed');
  assert.equal(ofType(h.encoded, 'order.placed').length, ofType(stuck.encoded, 'order.placed').length + 1);
  assertFolds(h);
});

test('an approved risk.profile.change puts new risk rules in force: the tier follows the new thresholds; a bad profile is rejected', () => {
  const cfg = config(null, {
    skills: [{ skill: 'rsi-reversion', symbols: ['BTC/USD'], params: { period: 2, rsi_window: 10, stop_loss_pct: 90 } }],
    sizing: { mode: 'pct_equity', pct: '100' },
    risk: { profile: 'default@1', overrides: { asset_exposure_pct_max: '100', cooldown_bars: 0, reduced_at_drawdown_pct: '5', reducing_only_at_drawdown_pct: '15', halted_at_drawdown_pct: '60' } },
  });
  const path = [20000, 20100, 20200, 20300, 20400, 20500, 20600, 20700, 20800, 20900, 20000, 19000, 17000, 15000, 14500, 14000, 15000, 15500, 15600, 15700];
  const h = new BookHarness(cfg);
  h.start(T0);
  h.ticks(candlesOf(path));
  assert.equal(h.state.tier, 'reducing_only');
  assert.match(String(PE(op(h, 'directive.propose', { type: 'risk.profile.change', payload: { profile: 'default@1', overrides: { reduced_at_drawdown_pct: '50', halted_at_drawdown_pct: '40' } } })[1]).why), /drawdown tiers must be ordered/);
  assert.match(String(PE(op(h, 'directive.propose', { type: 'risk.profile.change', payload: { profile: 'toString' } })[1]).why), /unknown risk profile "toString"/);
  const overrides = { asset_exposure_pct_max: '100', cooldown_bars: 0, reduced_at_drawdown_pct: '5', reducing_only_at_drawdown_pct: '40', halted_at_drawdown_pct: '60' };
  const change = op(h, 'directive.propose', { type: 'risk.profile.change', objective: 'wider bands', payload: { profile: 'default@1', overrides } }, 'bob');
  assert.equal(PE(change.find((e) => e.type === 'policy.evaluated')).verdict, 'NEEDS_APPROVAL');
  const id = String((PE(change.find((e) => e.type === 'directive.proposed')).directive as Rec).directive_id);
  const ok = op(h, 'directive.approve', { directive_id: id }, 'carol');
  assert.deepEqual(PE(ok.find((e) => e.type === 'risk.profile_changed')), { directive_id: id, profile: 'default@1', overrides, ref: 'default@1' });
  const next = h.ticks(candlesOf([...path, 15500, 14500]).slice(path.length));
  const changed = next.find((e) => e.type === 'risk.tier_changed');
  assert.deepEqual([PE(changed).from, PE(changed).to], ['reducing_only', 'reduced'], 'the tier follows the new thresholds at the next mark');
  assert.ok(ofType(next.map(encodeEvent), 'order.placed').length === 1, 'the next entry is placed (reduced size), not blocked');
  assertFolds(h);
});

/** sma-cross, but throwing (or emitting an undeclared action) on the bar after a given close. */
function withSkill(cfg: BookConfigInput, patch: (inner: Skill<unknown>) => Skill<unknown>) {
  const book = resolveBook(cfg);
  const skills = book.skills.map((b) => ({ ...b, skill: patch(b.skill) }));
  return bookKernel({ ...book, skills });
}

test('a skill that throws fails its task: the tick ends DEGRADED with that task FAILED and the rest SUCCESS; an undeclared output quarantines the skill', () => {
  const kernel = withSkill(config(null), (inner) => ({ ...inner, evaluate: (ctx) => { if (ctx.bars.at(-1)!.close === 20100) throw new Error('boom'); return inner.evaluate(ctx); } }));
  let events: BookEvent[] = [];
  const state = kernel.decider.initialState();
  const apply = (c: RuntimeCommand) => { const out = kernel.decider.step(c, state); events = events.concat(out); return out; };
  apply({ kind: 'runtime.start', time_ms: T0, book_id: 'gov', execution_plane: 'PAPER', owner: 't', lease_epoch: 1 });
  for (const c of BARS.slice(0, 6)) {
    const out = apply({ kind: 'market.tick', time_ms: c.open_time_ms + H, candles: [c] });
    const tc = out.find((e) => e.type === 'tick.completed');
    if (c.close.toString() !== '20100') { assert.equal(tc, undefined, 'a normal tick writes no outcome'); continue; }
    assert.ok(tc !== undefined && tc.type === 'tick.completed');
    assert.equal(tc.payload.status, 'DEGRADED');
    assert.deepEqual(tc.payload.tasks.map((t) => [t.task, t.outcome]), [
      ['record_bars', 'SUCCESS'], ['fill_orders', 'SUCCESS'], ['mark_portfolio', 'SUCCESS'], ['expire_directives', 'SUCCESS'], ['skill:sma-cross@1:BTC/USD', 'FAILED'],
    ]);
    assert.match(tc.payload.tasks[4]!.reason, /skill threw: boom/);
  }
  assert.equal(state.status, 'ACTIVE', 'DEGRADED is a tick outcome, not a book status');
  const q = withSkill(config(null), (inner) => ({ ...inner, evaluate: (ctx) => (ctx.bars.at(-1)!.close === 20100 ? { signals: [{ action: 'reduce', fraction: '0.5', reason: 'x', indicators: {} }], memory: null } : inner.evaluate(ctx)) }));
  const qs = q.decider.initialState();
  q.decider.step({ kind: 'runtime.start', time_ms: T0, book_id: 'gov', execution_plane: 'PAPER', owner: 't', lease_epoch: 1 }, qs);
  const all: BookEvent[] = [];
  for (const c of BARS.slice(0, 8)) all.push(...q.decider.step({ kind: 'market.tick', time_ms: c.open_time_ms + H, candles: [c] }, qs));
  const quarantine = all.find((e) => e.type === 'skill.status_changed');
  assert.deepEqual(quarantine && [PE(quarantine).to, PE(quarantine).reason], ['QUARANTINED', 'emitted "reduce", which it does not declare (enter, exit)']);
  assert.equal(all.filter((e) => e.type === 'signal.emitted').length, 0, 'a quarantined skill runs no more');
  assert.equal(qs.skill_states.get('sma-cross@1'), 'QUARANTINED');
});

test('a harness error ends the tick HALTED: no new entries until an operator resumes the book', () => {
  const book = resolveBook(config(null));
  let broken = true;
  const kernel = bookKernel({ ...book, gates: [{ id: 'flaky', check: (i, v, p) => { if (broken) throw new Error('gate store unreachable'); return book.gates[0]!.check(i, v, p); } }] });
  const h = new BookHarness(config(null));
  (h as unknown as { kernel: typeof kernel }).kernel = kernel;
  h.start(T0);
  h.ticks(BARS.slice(0, 5));
  const tc = ofType(h.encoded, 'tick.completed');
  assert.equal(tc.length, 1);
  assert.equal(P(tc[0]).status, 'HALTED');
  assert.match(JSON.stringify(P(tc[0]).tasks), /harness error: skill:sma-cross@1:BTC\/USD: gate store unreachable/);
  assert.equal(h.state.status, 'HALTED');
  broken = false;
  const later = h.ticks(BARS.slice(5, 7));
  assert.equal(later.filter((e) => e.type === 'signal.emitted').length, 0, 'HALTED: the skills do not run');
  const res = h.op('book.resume');
  assert.deepEqual([PE(res[1]).status_before, PE(res[1]).status_after], ['HALTED', 'ACTIVE']);
  assert.equal(h.state.status, 'ACTIVE');
  assertFolds(h);
});

test('SHADOW plane: everything up to the gate and a decision trace, no order, no fill, no position', () => {
  const h = new BookHarness(config(null));
  h.apply({ kind: 'runtime.start', time_ms: T0, book_id: 'gov', execution_plane: 'SHADOW', owner: 't', lease_epoch: 1 });
  h.ticks(BARS);
  assert.ok(ofType(h.encoded, 'directive.proposed').length >= 1);
  assert.equal(ofType(h.encoded, 'order.placed').length, 0);
  assert.equal(ofType(h.encoded, 'fill.executed').length, 0);
  assert.match(String(P(ofType(h.encoded, 'execution.status_changed').at(-1)).detail), /^SHADOW plane: decision traced, no order placed$/);
  const d = P(ofType(h.encoded, 'directive.proposed')[0]).directive as Rec;
  assert.deepEqual(Object.keys(d.provenance as Rec).sort(), ['inputs_hash', 'params', 'reason', 'signal_id', 'skill']);
  assert.equal(h.state.positions.size, 0);
  assertFolds(h);
});

test('the fold of a governed run equals the state its steps built', () => {
  const h = run(config(policy({ approval: { notional_above: '1000' } })), 6);
  op(h, 'directive.approve', { directive_id: 'D1' });
  h.ticks(BARS.slice(6));
  assert.equal(h.kernel.stateHash(fold(h.kernel.decider, h.events)), h.stateHash());
});
