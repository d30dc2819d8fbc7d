/**
 * Metrics from appended events: ticks by status (OK, DEGRADED: fewer symbols than the book's
 * ticks carry, HALTED: the tick's mark is in the halted tier), gate rejections by reason, the
 * per-book gauges; governance counters exist only once their events are seen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics, type EventLike } from './metrics.js';

let seq = 0;
const ev = (type: string, payload: Record<string, unknown>): EventLike => ({ seq: ++seq, type, time_ms: 0, payload: payload as never });
const tick = (symbols: string[], tier: string, extra: EventLike[] = []): EventLike[] => [
  ev('step.started', { command: 'market.tick', inbox_id: null, symbols }), ...extra,
  ev('mark.recorded', { cash: '1', positions: [], equity: '1000.5', exposure_pct: '0', peak_equity: '1100', drawdown_pct: '9.0455', tier }),
];

test('ticks by status, gate rejections by rule, equity/drawdown/tier gauges', async () => {
  const m = new Metrics();
  m.observe('book:a', [
    ...tick(['BTC/USD', 'ETH/USD'], 'normal'),
    ...tick(['BTC/USD'], 'normal'),
    ...tick(['BTC/USD', 'ETH/USD'], 'halted'),
    ev('step.started', { command: 'operator.command', inbox_id: 1, symbols: null }),
  ]);
  m.observeTickDuration(0.004);
  const text = await m.text();
  assert.match(text, /ticks_total\{status="OK"\} 1/);
  assert.match(text, /ticks_total\{status="DEGRADED"\} 1/);
  assert.match(text, /ticks_total\{status="HALTED"\} 1/);
  assert.match(text, /book_equity\{stream="book:a"\} 1000.5/);
  assert.match(text, /book_drawdown_percent\{stream="book:a"\} 9.0455/);
  assert.match(text, /book_tier\{stream="book:a",tier="halted"\} 1/);
  assert.match(text, /tick_duration_seconds_count 1/);
  assert.doesNotMatch(text, /directives_total|policy_evaluations_total|module_executions_total|execution_failures_total/, 'no governance metric without its events');
});

test('governance counters appear with their events (the [F5] contract)', async () => {
  const m = new Metrics();
  m.observe('book:a', [
    ev('directive.proposed', { directive: { directive_id: 'D1' } }),
    ev('policy.evaluated', { directive_id: 'D1', verdict: 'NEEDS_APPROVAL', results: [] }),
    ev('directive.status_changed', { directive_id: 'D1', from: 'proposed', to: 'approved', by: 'operator:alice', reason: '', human_override: true, note: null }),
    ev('execution.status_changed', { run_id: 'R1', directive_id: 'D1', module: 'fail_intentionally', from: 'running', to: 'failed', detail: 'FAILURE: fail_intentionally: failure as asked' }),
    ev('execution.status_changed', { run_id: 'R2', directive_id: 'D1', module: 'noop', from: 'running', to: 'completed', detail: 'SUCCESS: nothing done' }),
    ev('policy.evaluated', { directive_id: 'D2', verdict: 'BLOCK', results: [{ rule: 'scope.books', verdict: 'ALLOW', reason: 'in scope' }, { rule: 'risk:default@1', verdict: 'BLOCK', reason: 'would_need_leverage: buy needs 2 but 1 is free' }] }),
    ...tick(['BTC/USD'], 'normal', [ev('tick.completed', { status: 'DEGRADED', tasks: [] })]),
  ]);
  const text = await m.text();
  assert.match(text, /directives_total\{status="proposed"\} 1/);
  assert.match(text, /directives_total\{status="approved"\} 1/);
  assert.match(text, /policy_evaluations_total\{verdict="NEEDS_APPROVAL"\} 1/);
  assert.match(text, /module_executions_total\{module_name="fail_intentionally",status="failed"\} 1/);
  assert.match(text, /module_executions_total\{module_name="noop",status="completed"\} 1/);
  assert.match(text, /execution_failures_total\{failure_type="FAILURE"\} 1/);
  assert.match(text, /gate_rejections_total\{gate="risk:default@1",rule="would_need_leverage"\} 1/);
  assert.match(text, /ticks_total\{status="DEGRADED"\} 1/, 'the kernel\'s own tick outcome');
});
