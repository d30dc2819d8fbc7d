/** The backtest summary a reader sees: money to cents, half-even; nothing else rounded. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatOutcome, timingsLine } from './backtest.js';
import type { BacktestOutcome } from '../../backtest/service.js';

test('summary money is rounded half-even to cents for display; counts and hashes are as computed', async () => {
  const o = {
    book_id: 'b', config_hash: 'a'.repeat(64), persisted: null, report: null, events: 1, timing_ms: { run: 1, read: 0, report_model: 0, verify: 0, report: 0 },
    summary: {
      bars: 70253, ticks: 70253, fills: 12, trades_closed: 5, trades_open: 1, net_pnl: '-1110.7602360446238', fees: '0.125', final_cash: '10000',
      final_equity: '8889.2397639553761', max_drawdown_pct: '20.432', sharpe: '-0.2435', exposure_pct: '11.08', fingerprint: 'f'.repeat(64), state_hash: 'e'.repeat(64),
    },
  } satisfies BacktestOutcome;
  const lines = Object.fromEntries((await formatOutcome(o)).trimEnd().split('\n').map((l) => [l.slice(0, 22).trim(), l.slice(23)]));
  assert.equal(lines['net P&L'], '-1110.76');
  assert.equal(lines.fees, '0.12', 'a tie goes to the even cent');
  assert.equal(lines['final cash'], '10000.00');
  assert.equal(lines['final equity'], '8889.24');
  assert.equal(lines['max drawdown %'], '20.432');
  assert.equal(lines.bars, '70253');
  assert.equal(lines['state hash'], 'e'.repeat(64));
  const persisted = await formatOutcome({
    ...o, persisted: { stream: 'backtest:b:0123456789abcdef', status: 'resumed', events: 900, appended: 400, head_hash: 'c'.repeat(64), fingerprint: 'f'.repeat(64), state_hash: 'e'.repeat(64) },
  });
  assert.match(persisted, /persisted\s+backtest:b:0123456789abcdef: 900 events \(400 appended \(resumed\)\); chain verified, re-fold equal/);
});

test('--timings: the run splits into read+gate and kernel (the run less the reads); the store, persist verify and report only when they were used', () => {
  const summary = {
    bars: 1, ticks: 1, fills: 0, trades_closed: 0, trades_open: 0, net_pnl: '0', fees: '0', final_cash: '1', final_equity: '1', max_drawdown_pct: '0', sharpe: '0',
    exposure_pct: '0.00', fingerprint: 'f'.repeat(64), state_hash: 'e'.repeat(64),
  };
  const o = { book_id: 'b', config_hash: 'a'.repeat(64), persisted: null, report: null, events: 1, timing_ms: { run: 700, read: 90, report_model: 0, verify: 0, report: 0 }, summary } satisfies BacktestOutcome;
  const t = { startup: 120.4, imports: 101.6, config: 12, store: 0, output: 1.2, total: 950 };
  assert.equal(timingsLine(t, o), 'timings (ms): start-up 120, imports 102, config 12, read+gate 90, kernel 610, output 1; total 950\n');
  const both = { ...o, report: 'r.html', timing_ms: { run: 700, read: 90, report_model: 50, verify: 40, report: 30 },
    persisted: { stream: 's', status: 'resumed' as const, events: 1, appended: 1, head_hash: 'c'.repeat(64), fingerprint: 'f'.repeat(64), state_hash: 'e'.repeat(64) } };
  assert.equal(timingsLine({ ...t, store: 700.2 }, both), 'timings (ms): start-up 120, imports 102, config 12, read+gate 90, kernel 560, store 700, persist flush+verify 40, report 80, output 1; total 950\n');
});
