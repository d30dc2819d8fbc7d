/**
 * The runner's telemetry on both engines, with an in-memory span exporter: each committed market
 * tick (real Kraken hourly BTC/USD candles) is one `book.tick` span carrying the stream, tick
 * time, events, seq and gate denials; its debug log line carries the span's trace id; the
 * tick-duration hook is called once per tick; other steps make no tick span. With the kernel's
 * tracing probe, each tick's harness tasks are `harness.task` spans under its book.tick span, and
 * each gate evaluation / module execution a `policy.evaluate` / `module.execute` span under the skill
 * task that made it, one per policy.evaluated event and per execution run; the events are the same.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describeEngines } from '../../test/support/engines.js';
import { loadKrakenCsv } from '../../test/support/candles-csv.js';
import { BUNDLED_DATA_DIR } from '../../test/support/market-data.js';
import { bookKernel, resolveBook } from '../core/book/index.js';
import { EventStore } from '../store/event-store.js';
import { initTracing, type Tracing } from '../telemetry/tracing.js';
import { tracingProbe } from '../telemetry/trace-probe.js';
import { BookRunner } from './book-runner.js';
import { restore } from './restore.js';

const TICKS = 60;
const candles = loadKrakenCsv(join(BUNDLED_DATA_DIR, 'kraken', 'XBTUSD_60.csv'), 'BTC/USD', 3600, { fromMs: Date.UTC(2022, 5, 1), toMs: Date.UTC(2022, 6, 1) }).slice(0, TICKS);
/** The whole month (720 hours): sma-cross 3/8 trades in it (the first 60 hours alone make no signal). */
const month = loadKrakenCsv(join(BUNDLED_DATA_DIR, 'kraken', 'XBTUSD_60.csv'), 'BTC/USD', 3600, { fromMs: Date.UTC(2022, 5, 1), toMs: Date.UTC(2022, 6, 1) });
const book = resolveBook({ book_id: 'trace', data: { symbols: ['BTC/USD'], timeframe_s: 3600 }, skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 3, slow: 8 } }], sizing: { mode: 'pct_equity', pct: '50' }, initial_cash: '10000' });

let exporter: InMemorySpanExporter;
let tracing: Tracing;
before(async () => {
  exporter = new InMemorySpanExporter();
  tracing = (await initTracing({}, 'warden-test', exporter))!;
});
after(async () => tracing.shutdown());

describeEngines('book runner telemetry', (ctx) => {
  it('one book.tick span per tick with its attributes; trace ids on the debug line; the duration hook per tick', async () => {
    exporter.reset();
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const kernel = bookKernel(book);
    const lease = await store.acquireLease('book:trace', 'test:1', 60_000);
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'debug' }, new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); cb(); } }));
    let timed = 0;
    const runner = new BookRunner(store, lease, kernel, await restore(store, 'book:trace', kernel), {
      log, snapshotEveryEvents: 100_000, snapshotDir: '/tmp', leaseTtlMs: 60_000, onTickTimed: () => timed++, onFatal: (_e, reason) => assert.fail(reason),
    });
    const start = candles[0]!.open_time_ms;
    await runner.step({ kind: 'runtime.start', time_ms: start, book_id: 'trace', execution_plane: 'PAPER', owner: 'test:1', lease_epoch: lease.epoch });
    for (const c of candles) await runner.step({ kind: 'market.tick', time_ms: c.open_time_ms + 3600_000, candles: [c] });
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'book.tick');
    assert.equal(spans.length, TICKS);
    assert.equal(timed, TICKS);
    assert.equal(spans[0]!.attributes['warden.stream'], 'book:trace');
    assert.equal(spans[0]!.attributes['warden.tick_ms'], start + 3600_000);
    assert.equal(spans[TICKS - 1]!.attributes['warden.seq_to'], runner.seq);
    assert.ok(spans.every((s) => Number(s.attributes['warden.events']) >= 3 && typeof s.attributes['warden.gate_denials'] === 'number'));
    const debug = lines.filter((l) => l.event === 'step_committed' && l.command === 'market.tick');
    assert.equal(debug.length, TICKS);
    assert.equal(debug[0]!.trace_id, spans[0]!.spanContext().traceId);
    assert.equal(debug[0]!.span_id, spans[0]!.spanContext().spanId);
    assert.equal(lines.filter((l) => l.event === 'step_committed' && l.level === 30).length, 1, 'only the start step at info');
    await store.releaseLease(lease);
  });

  it('with the tracing probe: harness.task spans under each book.tick, policy.evaluate and module.execute under their skill task; the same events', async () => {
    exporter.reset();
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const runOnce = async (stream: string, kernel: ReturnType<typeof bookKernel>) => {
      const lease = await store.acquireLease(stream, 'test:1', 60_000);
      const log = pino({ level: 'warn' }, new Writable({ write(_c, _e, cb) { cb(); } }));
      const runner = new BookRunner(store, lease, kernel, await restore(store, stream, kernel), {
        log, snapshotEveryEvents: 100_000, snapshotDir: '/tmp', leaseTtlMs: 60_000, onFatal: (_e, reason) => assert.fail(reason),
      });
      await runner.step({ kind: 'runtime.start', time_ms: month[0]!.open_time_ms, book_id: 'trace', execution_plane: 'PAPER', owner: 'test:1', lease_epoch: lease.epoch });
      for (const c of month) await runner.step({ kind: 'market.tick', time_ms: c.open_time_ms + 3600_000, candles: [c] });
      await store.releaseLease(lease);
      const types: string[] = [];
      const bodies: string[] = [];
      for await (const batch of store.read(stream)) for (const e of batch) {
        types.push(e.type);
        if (e.type !== 'runtime.started') bodies.push(Buffer.from(e.body).toString('utf8').replace(`"stream":"${stream}"`, '"stream":"S"')); // the body names its stream
      }
      return { types, bodies };
    };
    const traced = await runOnce('book:trace', bookKernel(book, { probe: tracingProbe() }));
    const spans = exporter.getFinishedSpans();
    const parentOf = (s: (typeof spans)[number]) => (s as unknown as { parentSpanContext?: { spanId: string }; parentSpanId?: string }).parentSpanContext?.spanId ?? (s as unknown as { parentSpanId?: string }).parentSpanId;
    const ticks = spans.filter((s) => s.name === 'book.tick');
    assert.equal(ticks.length, month.length);
    const tickIds = new Set(ticks.map((s) => s.spanContext().spanId));
    const tasks = spans.filter((s) => s.name === 'harness.task');
    assert.ok(tasks.every((s) => tickIds.has(parentOf(s)!)), 'every task span is a child of a tick span');
    for (const t of ['record_bars', 'fill_orders', 'mark_portfolio', 'skill:sma-cross@1:BTC/USD']) {
      assert.equal(tasks.filter((s) => s.attributes['warden.task'] === t).length, month.length, `one ${t} span per tick`);
    }
    const skillTasks = new Set(tasks.filter((s) => String(s.attributes['warden.task']).startsWith('skill:')).map((s) => s.spanContext().spanId));
    const evaluations = spans.filter((s) => s.name === 'policy.evaluate');
    const executions = spans.filter((s) => s.name === 'module.execute');
    assert.equal(evaluations.length, traced.types.filter((t) => t === 'policy.evaluated').length);
    assert.ok(evaluations.length > 0 && executions.length > 0, 'the hours trade: signals were judged and carried out');
    assert.ok([...evaluations, ...executions].every((s) => skillTasks.has(parentOf(s)!)), 'evaluations and executions are children of the skill task that made them');
    assert.ok(evaluations.every((s) => typeof s.attributes['warden.directive_type'] === 'string' && String(s.attributes['warden.directive_type']).startsWith('order.')));
    const plain = await runOnce('book:plain', bookKernel(book));
    assert.deepEqual(traced.bodies, plain.bodies, 'the probe changes no event');
  });
});
