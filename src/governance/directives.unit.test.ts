/**
 * The directives read model, given governance events in the contract's shapes: statuses,
 * evaluations, history and runs as the log says; and every misfit (a bad field, an unknown
 * directive, a transition the lifecycle does not have, a status change from the wrong status, a
 * second proposal) an error naming the seq, the type and the field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewEvent } from '../core/events/index.js';
import { BAR_CLOSE_MS, evaluated, proposed, runChanged, sampleHistory, statusChanged } from '../../test/support/governance.js';
import { DirectivesFold, EVERY_DIRECTIVE, type GovEvent } from './directives.js';
import { GOVERNANCE_EVENT_TYPES } from './limits.js';

const S = 'book:main';
const GOV = new Set<string>(GOVERNANCE_EVENT_TYPES);
/** What readTypes would hand the fold: governance events only, with their seqs. */
const asRead = (events: NewEvent[]): GovEvent[] => events.map((e, i) => ({ ...e, seq: i + 1 })).filter((e) => GOV.has(e.type));

function fold(events: NewEvent[], detail: string | null = null): DirectivesFold {
  const f = new DirectivesFold(S, detail);
  for (const e of asRead(events)) f.apply(e);
  return f;
}

function throwsAt(events: NewEvent[], re: RegExp): void {
  assert.throws(() => fold(events), (e: Error & { exitCode?: number }) => {
    assert.match(e.message, re);
    assert.equal(e.exitCode, 65);
    return true;
  });
}

describe('directives read model', () => {
  test('given a book history, list gives each directive its status, latest verdict and last change', () => {
    const f = fold(sampleHistory());
    assert.deepEqual(f.list().map((d) => [d.directive_id, d.status, d.verdict, d.last.by]), [
      ['D1', 'complete', 'NEEDS_APPROVAL', 'orchestrator'],
      ['D2', 'proposed', 'NEEDS_APPROVAL', 'skill:sma-cross@1'],
      ['D3', 'blocked', 'BLOCK', 'policy'],
    ]);
    assert.deepEqual(f.list('proposed').map((d) => d.directive_id), ['D2']);
    assert.equal(f.list()[1]!.type, 'risk.tier.reset');
    assert.equal(f.list()[1]!.proposed_ms, BAR_CLOSE_MS[1]);
    assert.equal(f.record(), null, 'no detail asked');
  });

  test('show: the directive as proposed, its evaluations, every status change with who/when/why, its runs', () => {
    const r = fold(sampleHistory(), 'D1').record()!;
    assert.equal(r.status, 'complete');
    assert.equal((r.directive.payload as { ref_price: string }).ref_price, '16943.6');
    assert.deepEqual(r.history.map((h) => `${h.from}->${h.to} by ${h.by}`), [
      'draft->proposed by skill:sma-cross@1', 'proposed->approved by operator:alice', 'approved->executing by orchestrator', 'executing->complete by orchestrator',
    ]);
    const approval = r.history[1]!;
    assert.equal(approval.human_override, true);
    assert.equal(approval.note, 'checked the spread');
    assert.equal(approval.time_ms, BAR_CLOSE_MS[1]);
    assert.equal(r.evaluations.length, 1);
    assert.equal(r.evaluations[0]!.policy_version, 'test-3');
    assert.equal(r.evaluations[0]!.results[1]!.rule, 'approval.notional_above');
    assert.deepEqual(r.runs.map((x) => [x.run_id, x.status, x.history.length]), [['R1', 'completed', 2]]);
    assert.deepEqual(r.runs[0]!.history[1]!.detail, 'SUCCESS: order placed on the paper plane');
  });

  test('every directive (the API): each with its full record, folded in steps as it is with one pass; over the bound, the oldest finished record goes first', () => {
    const events = asRead(sampleHistory());
    const once = new DirectivesFold(S, EVERY_DIRECTIVE);
    for (const e of events) once.apply(e);
    const stepped = new DirectivesFold(S, EVERY_DIRECTIVE);
    for (const e of events.slice(0, 4)) stepped.apply(e);
    assert.equal(stepped.records().length, 1, 'D1 only after the first four governance events');
    for (const e of events.slice(4)) stepped.apply(e);
    assert.deepEqual(stepped.records(), once.records());
    assert.deepEqual(once.records().map((x) => [x.summary.directive_id, x.record?.status, x.record?.history.length, x.record?.evaluations.length]), [
      ['D1', 'complete', 4, 1], ['D2', 'proposed', 1, 1], ['D3', 'blocked', 2, 1],
    ]);
    assert.deepEqual(once.records('proposed').map((x) => x.summary.directive_id), ['D2']);
    assert.equal(once.record(), null, 'record() is the one directive of show');
    const bounded = new DirectivesFold(S, EVERY_DIRECTIVE, 2);
    for (const e of events) bounded.apply(e);
    assert.deepEqual(bounded.records().map((x) => [x.summary.directive_id, x.summary.status, x.record === null]), [
      ['D1', 'complete', true], ['D2', 'proposed', false], ['D3', 'blocked', false],
    ], 'D1 (complete) lost its record when D3 came; every summary stays');
  });

  test('a rejection and a retry: proposed -> blocked (rejected: ...) -> proposed', () => {
    const [t0, t1] = BAR_CLOSE_MS;
    const f = fold([
      proposed('D1', t0),
      statusChanged('D1', t0, 'proposed', 'blocked', 'operator:bob', 'rejected: spread too wide'),
      statusChanged('D1', t1, 'blocked', 'proposed', 'skill:sma-cross@1', 'retry'),
    ], 'D1');
    assert.equal(f.record()!.status, 'proposed');
    assert.equal(f.record()!.history[1]!.reason, 'rejected: spread too wide');
  });

  test('a bad field is an error naming the seq, the type and the field', () => {
    const [t0] = BAR_CLOSE_MS;
    throwsAt([proposed('D1', t0), statusChanged('D1', t0, 'proposed', 'approvedd', 'operator:alice', 'ok')], /book:main seq 2 \(directive\.status_changed\): payload\.to: /);
    throwsAt([proposed('D1', t0, { budget: { notional_max: 1000 } })], /seq 1 \(directive\.proposed\): payload\.directive\.budget\.notional_max: /);
    throwsAt([proposed('X1', t0)], /seq 1 \(directive\.proposed\): payload\.directive\.directive_id: expected a directive id "D<n>"/);
    throwsAt([proposed('D1', t0), { ...evaluated('D1', t0, 'ALLOW'), payload: { directive_id: 'D1' } }], /seq 2 \(policy\.evaluated\): payload\.policy_version: /);
  });

  test('an event about a directive never proposed, or proposed twice, is an error', () => {
    const [t0] = BAR_CLOSE_MS;
    throwsAt([evaluated('D9', t0, 'ALLOW')], /seq 1 \(policy\.evaluated\): payload\.directive_id: directive D9 was never proposed in this stream/);
    throwsAt([proposed('D1', t0), runChanged('R1', 'D2', t0, 'pending', 'running')], /seq 2 \(execution\.status_changed\): .*D2 was never proposed/);
    throwsAt([proposed('D1', t0), proposed('D1', t0)], /seq 2 \(directive\.proposed\): payload\.directive\.directive_id: D1 was already proposed at seq 1/);
  });

  test('a status change from another status than the log left, or outside the lifecycle, is an error naming both states', () => {
    const [t0] = BAR_CLOSE_MS;
    throwsAt([proposed('D1', t0), statusChanged('D1', t0, 'approved', 'executing', 'orchestrator', 'x')],
      /seq 2 \(directive\.status_changed\): payload\.from: D1 changes from approved, but the log left it proposed \(seq 1\)/);
    throwsAt([proposed('D1', t0), statusChanged('D1', t0, 'proposed', 'complete', 'x', 'x')], /payload\.to: proposed -> complete is not a directive transition/);
  });

  test('events must come in seq order', () => {
    const f = new DirectivesFold(S);
    f.apply({ seq: 5, ...proposed('D1', BAR_CLOSE_MS[0]) });
    assert.throws(() => f.apply({ seq: 5, ...evaluated('D1', BAR_CLOSE_MS[0], 'ALLOW') }), /seq 5 \(policy\.evaluated\): events out of order \(after seq 5\)/);
  });
});
