/**
 * The crash suite's approvals in flight (test/crash-approvals.e2e.test.ts runs it on both
 * engines, beside the crash suite ./crash-suite.ts): a book whose policy asks a named human for
 * every entry runs over the real Q1-2023 hourly BTC/USD candles, ingested in two parts (the
 * second only after the approval, so the approved order has a next bar to fill on). The runtime
 * is killed with SIGKILL
 *   1. between a proposal and its approval (directives wait, nobody approved yet);
 *   2. with the approval recorded but (most likely) not yet applied: at its first committed step;
 *   3. right at the commit of the approval's step (approved, order placed, not filled);
 * then restarted after the rest of the candles is ingested. The approved directive's order is
 * placed exactly once and fills exactly once, the approval is applied once, every fill id is
 * unique, and `warden replay verify` re-executes the book (approvals as inputs) and passes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, runtime, type Proc } from '../runtime-proc.js';
import { openDb } from '../../src/store/open.js';
import { EventStore } from '../../src/store/event-store.js';
import { smaBookConfig } from './book-driver.js';

/** The crash suite's sma-cross book (./book-driver.ts smaBookConfig), every entry waiting for a named human. */
export const APPROVAL_BOOK = {
  ...smaBookConfig('main'),
  governance: { policy: { version: 'crash-approvals-1', approval: { notional_above: '100', timebox_bars: 5000 } } },
};
/** Candles of the first part (of 2160): Jan 1 - Feb 19 2023. */
const FIRST_PART_BARS = 1200;

type Json = Record<string, unknown>;
interface Ev { seq: number; type: string; time_ms: number; payload: Json }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function bookEvents(url: string): Promise<Ev[]> {
  const db = await openDb(url, { command: 'crash approvals check' });
  try {
    const out: Ev[] = [];
    for await (const batch of new EventStore(db).read('book:main')) for (const e of batch) out.push({ seq: e.seq, type: e.type, time_ms: e.time_ms, payload: e.payload as Json });
    return out;
  } finally {
    await db.close();
  }
}

/** The real candle file split in two (the same lines, in order), each under the name ingest reads its pair from. */
export function splitCandles(src: string, dir: string): [string, string] {
  const lines = readFileSync(src, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const files: [string, string] = [join(dir, 'part1', 'XBTUSD_60.csv'), join(dir, 'part2', 'XBTUSD_60.csv')];
  mkdirSync(join(dir, 'part1'), { recursive: true });
  mkdirSync(join(dir, 'part2'), { recursive: true });
  writeFileSync(files[0], `${lines.slice(0, FIRST_PART_BARS).join('\n')}\n`);
  writeFileSync(files[1], `${lines.slice(FIRST_PART_BARS).join('\n')}\n`);
  return files;
}

async function startedRun(vars: Record<string, string>, expireLease: () => Promise<void>): Promise<Proc> {
  for (let attempt = 0; ; attempt++) {
    const p = runtime(vars);
    const r = await Promise.race([p.exit, p.waitFor('ready').then(() => 'ready' as const)]);
    if (r === 'ready') return p;
    assert.equal(r, 75, `the runtime exited ${String(r)}: ${p.stderr()}`);
    assert.ok(attempt < 20, 'a restart after kill -9 keeps being refused');
    await expireLease();
    await sleep(300);
  }
}

async function kill9(p: Proc, expireLease: () => Promise<void>): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exit;
  await expireLease();
}

async function waitLine(p: Proc, pred: (l: Proc['lines'][number]) => boolean, what: string): Promise<void> {
  const t0 = Date.now();
  while (!p.lines.some(pred)) {
    assert.ok(Date.now() - t0 < 60_000, `${what}: not within 60 s; log:\n${p.lines.slice(-20).map((l) => JSON.stringify(l)).join('\n')}\n${p.stderr()}`);
    await sleep(1);
  }
}

export async function approvalsInFlight(engine: string, url: string, vars: Record<string, string>, parts: [string, string], lastCloseMs: number, expireLease: () => Promise<void>): Promise<string> {
  assert.equal((await cli(['ingest', parts[0]], vars)).code, 0);
  // 1. caught up on the first part: entries wait for a human; killed between proposal and approval
  let p = await startedRun(vars, expireLease);
  await p.waitFor('market_caught_up');
  const listed = await cli(['directives', 'list', '--status', 'proposed', '--json'], vars);
  assert.equal(listed.code, 0, listed.stderr);
  const waiting = (JSON.parse(listed.stdout) as { directives: { directive_id: string; type: string }[] }).directives;
  assert.ok(waiting.length > 0 && waiting.every((d) => d.type === 'order.open'), `${engine}: entries wait for approval`);
  const target = waiting[waiting.length - 1]!.directive_id;
  await kill9(p, expireLease);
  // 2. the approval recorded with no runtime; the restart is killed at its first committed step
  const ok = await cli(['directives', 'approve', target, '--as', 'alice', '--note', 'crash suite', '--wait-ms', '0'], vars);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  p = runtime(vars); // not waiting for ready: killed at its first commit, most likely before the inbox is polled
  await waitLine(p, (l) => l.event === 'step_committed', 'a first step');
  await kill9(p, expireLease);
  // 3. killed right at the commit of the approval's step (approved, order placed, no bar yet to fill on)
  let before = (await bookEvents(url)).filter((e) => e.type === 'directive.status_changed' && e.payload.directive_id === target && e.payload.to === 'approved').length;
  if (before === 0) {
    p = runtime(vars);
    await waitLine(p, (l) => l.event === 'step_committed' && l.command === 'operator.command', 'the approval\'s step');
    await kill9(p, expireLease);
    before = -1;
  }
  let ev = await bookEvents(url);
  const proposal = ev.find((e) => e.type === 'directive.proposed' && (e.payload.directive as Json).directive_id === target)!;
  const intent = ((proposal.payload.directive as Json).payload as Json).intent_id;
  assert.equal(ev.filter((e) => e.type === 'order.placed' && e.payload.intent_id === intent).length, 1, `${engine}: the approved order is placed once`);
  assert.equal(ev.filter((e) => e.type === 'fill.executed').length, 0, `${engine}: nothing filled yet (every entry waited for a human; no bar since the approval)`);
  // 4. the rest of the candles, then a clean run to the end
  assert.equal((await cli(['ingest', parts[1]], vars)).code, 0);
  p = await startedRun(vars, expireLease);
  const caught = await p.waitFor('market_caught_up');
  assert.equal(caught.last_tick_ms, lastCloseMs);
  await sleep(600);
  p.child.kill('SIGTERM');
  assert.equal(await p.exit, 0, p.stderr());
  ev = await bookEvents(url);
  const orders = ev.filter((e) => e.type === 'order.placed' && e.payload.intent_id === intent);
  assert.equal(orders.length, 1, `${engine}: exactly one order for ${target}`);
  const fills = ev.filter((e) => e.type === 'fill.executed');
  assert.equal(fills.filter((e) => e.payload.order_id === orders[0]!.payload.order_id).length, 1, `${engine}: exactly one fill for ${target}`);
  assert.equal(new Set(fills.map((e) => e.payload.fill_id)).size, fills.length, 'every fill id is unique');
  const approvals = ev.filter((e) => e.type === 'directive.status_changed' && e.payload.to === 'approved' && e.payload.by !== 'policy');
  assert.deepEqual(approvals.map((e) => [e.payload.directive_id, e.payload.by]), [[target, 'operator:alice']], 'the approval applied once');
  const v = await cli(['replay', 'verify', '--book', 'main'], vars);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  return `${target} approved (${before === -1 ? 'killed at the approval\'s commit' : 'applied by the start killed at its first step'}), one order, one fill`;
}
