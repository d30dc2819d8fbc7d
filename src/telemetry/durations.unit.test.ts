/**
 * policy_evaluation_duration_seconds and execution_duration_seconds move during a run: a real-data
 * book (sma-cross on Kraken's BTC/USD hourly, 2023-Q1) driven through the kernel with the
 * runtime's timing probe records one observation per policy evaluation and per module execution,
 * by directive type, and writes exactly the events it writes without a probe (the probe sees the
 * work, it changes nothing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bookKernel, resolveBook } from '../core/book/index.js';
import { BTC_2023Q1_HOURLY, loadKrakenCsv } from '../../test/support/candles-csv.js';
import { produce, runtimeStart, smaBookConfig, tickCommands } from '../../test/support/book-driver.js';
import { timingProbe } from '../runtime/api-hook.js';
import { Metrics } from './metrics.js';

test('given a real-data run, when the kernel has the timing probe, then each policy evaluation and execution is timed by directive type and the events are unchanged', async () => {
  const book = resolveBook(smaBookConfig('probe'));
  const ticks = tickCommands(book, loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600));
  const commands = [runtimeStart('probe', ticks[0]!.time_ms - 3_600_000, 1), ...ticks];
  const metrics = new Metrics();
  assert.doesNotMatch(await metrics.text(), /_duration_seconds_count\{directive_type/, 'nothing timed yet: not shown');
  const timed = produce(bookKernel(book, { probe: timingProbe(metrics) }), commands);
  const plain = produce(bookKernel(book), commands);
  assert.deepEqual(timed, plain, 'the same events with and without the probe');

  const typeOf = new Map<string, string>();
  const evaluations = new Map<string, number>();
  const runs = new Map<string, number>();
  for (const e of plain) {
    const p = e.payload as Record<string, unknown>;
    if (e.type === 'directive.proposed') {
      const d = p.directive as { directive_id: string; type: string };
      typeOf.set(d.directive_id, d.type);
    } else if (e.type === 'policy.evaluated') {
      const t = typeOf.get(p.directive_id as string)!;
      evaluations.set(t, (evaluations.get(t) ?? 0) + 1);
    } else if (e.type === 'execution.status_changed' && p.to === 'running') {
      const t = typeOf.get(p.directive_id as string)!;
      runs.set(t, (runs.get(t) ?? 0) + 1);
    }
  }
  assert.ok((evaluations.get('order.open') ?? 0) > 0 && (runs.get('order.open') ?? 0) > 0, `the quarter trades: ${JSON.stringify([...evaluations])}`);
  const text = await metrics.text();
  for (const [name, counts] of [['policy_evaluation_duration_seconds', evaluations], ['execution_duration_seconds', runs]] as const) {
    for (const [type, n] of counts) {
      assert.match(text, new RegExp(`${name}_count\\{directive_type="${type.replace('.', '\\.')}"\\} ${n}\\n`), `${name} ${type}`);
      const sum = Number(new RegExp(`${name}_sum\\{directive_type="${type.replace('.', '\\.')}"\\} (\\S+)`).exec(text)?.[1]);
      assert.ok(sum > 0 && sum < 10, `${name} ${type}: a wall time (${sum} s)`);
    }
  }
});
