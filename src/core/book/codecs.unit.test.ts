/**
 * The book's codecs on a real run (the bundled Kraken BTC/USD hourly file's first rows, read with
 * the ingestion parser). Snapshot codec: a state taken mid-run (with a working order, then with an
 * open position), encoded to JSON text and decoded, has the same state hash, and the book
 * continued from it emits byte-identical events to the book continued from the original; a bad
 * snapshot is refused naming the field. Event codecs: every event decodes from its stored form
 * and re-encodes to the same canonical JSON; a payload with an extra field or a wrong type is
 * refused naming the field; every event type has a codec and an evolve case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, type CanonicalValue } from '../canonical/index.js';
import { chainEvents, GENESIS_PREV_HASH, type NewEvent } from '../events/index.js';
import { sha256Hex } from '../canonical/hash.js';
import type { Candle } from '../market/candle.js';
import { parseKrakenOhlcvtLine } from '../../ingest/parsers.js';
import { BUNDLED_DATA_DIR } from '../../../test/support/market-data.js';
import { BookHarness } from '../../../test/support/book.js';
import {
  appendableEvent, BookStateError, cloneState, CODECS, decodeEvent, evaluationBody, evaluationBodyJson, decodeState, encodeEvent, encodeState, EVENT_TYPES, EventCodecError, evolve, initialBookState, payloadJson, stateHash,
  ticksOf, type BookConfigInput, type BookEvent, type BookState, type RuntimeCommand,
} from './index.js';

const ROWS = 3000;
const candles: Candle[] = readFileSync(join(BUNDLED_DATA_DIR, 'kraken', 'XBTUSD_60.csv'), 'utf8').split('\n').slice(0, ROWS).map((line, i) => {
  const p = parseKrakenOhlcvtLine(line.trim(), `XBTUSD_60.csv:${i + 1}`, 'BTC/USD', 3600);
  if (!p.ok) throw new Error(p.violation.message);
  return { ...p.value, count: p.value.count ?? 0 };
});
const cfg: BookConfigInput = {
  book_id: 'codec', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'rsi-reversion', symbols: ['BTC/USD'], params: { expire_bars: 4 } }], sizing: { mode: 'pct_equity', pct: '30' },
  execution: { slippage_bps: '5', impact_bps_per_volume_pct: '0', participation_pct_max: '1', market_expire_bars: 3 }, initial_cash: '10000',
};
const ticks = ticksOf(['BTC/USD'], 3600, candles).map((t): RuntimeCommand => ({ kind: 'market.tick', time_ms: t.time_ms, candles: t.candles }));
const json = (events: readonly BookEvent[]) => canonicalJson(events.map(encodeEvent) as unknown as CanonicalValue);

/** A book that goes through every tier and cooldowns (all in, small loss threshold), with skill memory. */
const busy: BookConfigInput = {
  book_id: 'codec-busy', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'donchian-breakout', symbols: ['BTC/USD'], params: { entry_period: 10, atr_period: 5 } }], sizing: { mode: 'pct_equity', pct: '100' },
  risk: { profile: 'default@1', overrides: { asset_exposure_pct_max: '100', severe_loss_pct: '0.5', cooldown_bars: 5 } },
  execution: { slippage_bps: '5', impact_bps_per_volume_pct: '0', participation_pct_max: '100', market_expire_bars: 3 }, initial_cash: '10000',
};

/** The rsi-reversion book (cfg) over the same candles, no operator: partial fills (1 % participation), slippage, expiries. */
function plainRun(): BookHarness {
  const h = new BookHarness(cfg);
  h.start(candles[0]!.open_time_ms);
  for (const t of ticks) h.apply(t);
  h.stop();
  return h;
}

/** The whole run, with operator commands (applied and rejected) and a stop: every event type but order.triggered. */
function realRun(): BookHarness {
  const h = new BookHarness(busy);
  h.start(candles[0]!.open_time_ms);
  h.op('book.flatten', { symbols: ['ETH/USD'] });
  for (const [i, t] of ticks.entries()) {
    if (i === 1000) h.op('book.pause');
    if (i === 1100) h.op('book.resume');
    if (i === 1500) h.op('book.flatten');
    h.apply(t);
  }
  h.stop();
  return h;
}

test('decode(encode(state)) mid-run continues exactly like the original (working order, open position)', () => {
  const h = new BookHarness(cfg);
  h.start(candles[0]!.open_time_ms);
  const cuts: { i: number; why: string; state: BookState }[] = [];
  for (const [i, t] of ticks.entries()) {
    h.apply(t);
    const s = h.state;
    if (cuts.length === 0 && s.orders.length > 0) cuts.push({ i, why: 'working order', state: cloneState(s) });
    if (cuts.length === 1 && s.orders.length === 0 && Object.keys(s.ledger.lots).length > 0) cuts.push({ i, why: 'open position', state: cloneState(s) });
  }
  assert.equal(cuts.length, 2, 'the slice produced both situations');
  const { decider } = h.kernel;
  for (const cut of cuts) {
    const original = cut.state;
    const restored = decodeState(JSON.parse(JSON.stringify(encodeState(original))) as CanonicalValue);
    assert.equal(stateHash(restored), stateHash(original), cut.why);
    const ea: BookEvent[] = [];
    const eb: BookEvent[] = [];
    for (const t of ticks.slice(cut.i + 1, cut.i + 400)) {
      ea.push(...decider.step(t, original));
      eb.push(...decider.step(t, restored));
    }
    assert.ok(ea.some((e) => e.type === 'fill.executed'), `${cut.why}: the continuation trades`);
    assert.equal(json(eb), json(ea), cut.why);
    assert.equal(stateHash(restored), stateHash(original));
  }
});

test('decode refuses a bad snapshot and names the field', () => {
  const h = new BookHarness(cfg);
  h.start(candles[0]!.open_time_ms);
  for (const t of ticks.slice(0, 50)) h.apply(t);
  const good = encodeState(h.state) as Record<string, CanonicalValue>;
  assert.equal(stateHash(decodeState(good)), h.stateHash());
  const bad = (patch: Record<string, CanonicalValue>, re: RegExp) => assert.throws(() => decodeState({ ...good, ...patch }), (e: Error) => e instanceof BookStateError && re.test(e.message));
  bad({ v: 2 }, /state: version 2 is not 3/);
  bad({ tier: 'panic' }, /state\.tier: expected one of/);
  bad({ status: 'LIVE' }, /state\.status/);
  bad({ execution_plane: 'LIVE' }, /state\.execution_plane/);
  bad({ last_inbox_id: -1 }, /state\.last_inbox_id/);
  bad({ extra: 1 }, /unexpected fields/);
  bad({ ledger: { ...(good.ledger as Record<string, CanonicalValue>), cash: '1e3' } }, /state\.ledger\.cash: expected a plain decimal/);
  const history = good.history as Record<string, CanonicalValue[][]>;
  const rows = history['BTC/USD']!;
  bad({ history: { 'BTC/USD': [rows[0]!, [rows[1]![0]!, 20100, ...rows[1]!.slice(2)]] } }, /state\.history\.BTC\/USD\[1\]\.open: expected a string/);
});

test('every event of a real run decodes from its stored form and re-encodes to the same canonical JSON', () => {
  const h = realRun();
  const seen = new Set<string>();
  let policyEvaluations = 0;
  let folded = initialBookState();
  for (const [i, e] of h.encoded.entries()) {
    seen.add(e.type);
    const stored = JSON.parse(JSON.stringify(e)) as NewEvent; // as a store gives it back
    const decoded = decodeEvent({ ...stored, seq: i + 1 });
    assert.equal(canonicalJson(encodeEvent(decoded) as unknown as CanonicalValue), canonicalJson(e as unknown as CanonicalValue), `seq ${i + 1} (${e.type})`);
    folded = evolve(folded, decoded);
    if (decoded.type === 'policy.evaluated') {
      // the artifact's body written by field is the generic encoder's JCS text, and its address
      assert.equal(evaluationBodyJson(decoded.payload), canonicalJson(evaluationBody(decoded.payload)), `seq ${i + 1}`);
      assert.equal(sha256Hex(evaluationBodyJson(decoded.payload)), decoded.payload.artifact_hash, `seq ${i + 1}`);
      policyEvaluations++;
    }
  }
  assert.ok(policyEvaluations > 0, 'the run evaluated directives');
  assert.equal(stateHash(folded), h.stateHash(), 'the decoded events fold to the run\'s state');
  // no skill places stop orders yet: order.triggered is checked on its own below
  const missing = EVENT_TYPES.filter((t) => !seen.has(t));
  // the governance events of a run without approvals or failures are checked in core/book/governance.unit.test.ts;
  // late data and truth epochs (bar.late, epoch.advanced) in core/book/late-epochs.unit.test.ts
  assert.deepEqual(missing, ['order.triggered', 'risk.peak_reset', 'risk.profile_changed', 'skill.status_changed', 'book.status_changed', 'epoch.mode_changed', 'tick.completed', 'bar.late', 'epoch.advanced'], `event types the run did not produce: ${missing.join(', ')}`);
  const triggered: NewEvent = { type: 'order.triggered', time_ms: 5, payload: { order_id: 'O1', symbol: 'BTC/USD', stop_price: '20100.5', bar_open_time_ms: 1 } };
  assert.deepEqual(encodeEvent(decodeEvent(triggered)), triggered);
});

test('payloadJson (the direct writers) is the generic encoder\'s JCS text of every event of real runs', () => {
  const writers = new Set<string>();
  for (const h of [realRun(), plainRun()]) {
    for (const [i, e] of h.events.entries()) {
      assert.equal(payloadJson(e), canonicalJson(CODECS[e.type].encode(e.payload as never)), `event ${i + 1} (${e.type})`);
      if (CODECS[e.type].json !== undefined) writers.add(e.type);
    }
  }
  // the writers a signal's governance and the ledger use were exercised (governance.unit.test.ts covers approvals and failures)
  for (const t of ['step.started', 'bar.closed', 'mark.recorded', 'cash.posted', 'directive.proposed', 'policy.evaluated', 'directive.status_changed', 'execution.status_changed',
    'signal.emitted', 'intent.created', 'order.placed', 'fill.executed', 'order.closed', 'lot.opened', 'lot.consumed', 'trade.closed']) assert.ok(writers.has(t), t);
});

test('an appendable event (what the runtime and backtest --persist hand the store) chains to the same bodies and hashes as the encoded event, and reads the same payload', () => {
  const h = realRun();
  const encoded = h.events.map(encodeEvent);
  const appendable = h.events.map(appendableEvent);
  const [a, b] = [chainEvents('book:codec', 0, GENESIS_PREV_HASH, encoded), chainEvents('book:codec', 0, GENESIS_PREV_HASH, appendable)];
  assert.equal(b.length, a.length);
  // chaining reads the JSON, not the payload: none was built (the store's callers use seqs and hashes)
  assert.ok(appendable.every((e) => (e as unknown as { encoded: unknown }).encoded === undefined));
  for (let i = 0; i < a.length; i++) assert.deepEqual([b[i]!.seq, b[i]!.type, b[i]!.time_ms, b[i]!.payload], [a[i]!.seq, a[i]!.type, a[i]!.time_ms, a[i]!.payload], `event ${i + 1}`);
  for (let i = 0; i < a.length; i++) {
    assert.deepEqual([Buffer.from(b[i]!.body).toString(), Buffer.from(b[i]!.hash).toString('hex')], [Buffer.from(a[i]!.body).toString(), Buffer.from(a[i]!.hash).toString('hex')], `event ${i + 1} (${a[i]!.type})`);
    assert.deepEqual(appendable[i]!.payload, encoded[i]!.payload, `event ${i + 1} payload`);
  }
  // the body is written from the text it carries, not from the payload: the text is the contract
  const e = { ...encoded[1]!, json: '{"x":1}' };
  assert.match(Buffer.from(chainEvents('book:codec', 0, GENESIS_PREV_HASH, [e])[0]!.body).toString(), /^\{"payload":\{"x":1\},"seq":1,/);
});

test('the direct writers of the governance, order, fill and cash payloads escape every free-text field exactly as the JCS encoder', () => {
  const odd = ['plain', '', 'a"b', 'a\\b', 'tab\there', 'nl\n', '\u0000\u001f', 'del\u007f', 'é', '€', '\u2028', '\ud83d\ude00', 'lone \ud800'];
  const same = <K extends keyof typeof CODECS>(type: K, p: Parameters<(typeof CODECS)[K]['encode']>[0]) =>
    assert.equal(CODECS[type].json?.(p as never), canonicalJson(CODECS[type].encode(p as never)), `${type} ${JSON.stringify(p).slice(0, 120)}`);
  for (const x of odd) {
    same('directive.status_changed', { directive_id: x, from: 'proposed', to: 'approved', by: x, reason: x, human_override: x === '', note: x === '' ? null : x });
    same('execution.status_changed', { run_id: x, directive_id: 'D1', module: x, from: 'pending', to: 'running', idempotency_key: x, detail: x, committed: x === '' ? null : '1.5' });
    same('cash.posted', { line: 7, kind: 'fee', amount: '-1.25', balance: '10', ref: x });
    same('policy.evaluated', { directive_id: x, policy_version: x, policy_hash: 'ab', verdict: 'BLOCK', results: [{ rule: x, verdict: 'ALLOW', reason: x }, { rule: 'r', verdict: 'BLOCK', reason: '' }], qty_allowed: null, artifact_hash: x });
    assert.equal(evaluationBodyJson({ directive_id: x, policy_version: '1', policy_hash: x, verdict: 'ALLOW', results: [], qty_allowed: '0.5' }),
      canonicalJson(evaluationBody({ directive_id: x, policy_version: '1', policy_hash: x, verdict: 'ALLOW', results: [], qty_allowed: '0.5' })));
    same('directive.proposed', { directive: {
      directive_id: x, issued_by: x, role: 'drill', type: 'module.run', objective: x, scope: { book: x, symbols: [x, 'BTC/USD'] }, constraints: { [x]: [1, x, null] },
      success_metrics: null, budget: { notional_max: x === '' ? null : '12.5' }, timebox: { expires_ms: x === '' ? null : 1_700_000_000_000 }, payload: { b: x, a: { z: true } },
      idempotency_key: x, module: x, provenance: { inbox_id: 3, note: x },
    } });
    same('signal.emitted', { signal_id: x, skill: x, params: { [x]: 1 }, symbol: x, action: x, fraction: x === '' ? null : '0.5', reason: x, indicators: { [x]: x, b: '1', a: '-2.5' }, order: x === '' ? null : { type: x } });
    same('order.closed', { order_id: x, status: 'expired', filled_qty: '0', reason: x });
    same('intent.created', { intent_id: x, signal_id: x === '' ? null : x, symbol: x, side: 'sell', order_type: x, qty: '1', limit_price: null, stop_price: '2', unit_cost: '3', ref_price: '4', sizing: { mode: x } });
  }
  assert.throws(() => CODECS['cash.posted'].json?.({ line: 1.5, kind: 'fee', amount: '1', balance: '1', ref: 'r' }), EventCodecError);
});

test('a stored payload with an extra field, a missing field or a wrong type is refused naming the field', () => {
  const h = realRun();
  const first = (type: string) => h.encoded.find((e) => e.type === type)!;
  const refused = (e: NewEvent, re: RegExp) => assert.throws(() => decodeEvent(e), (x: Error) => x instanceof EventCodecError && re.test(x.message), re.source);
  const fill = first('fill.executed');
  const fp = fill.payload as Record<string, CanonicalValue>;
  refused({ ...fill, payload: { ...fp, note: 'x' } }, /^fill\.executed\.payload: unexpected field\(s\) note$/);
  refused({ ...fill, payload: { ...fp, qty: 5 } }, /^fill\.executed\.payload\.qty: expected a canonical decimal string, got 5$/);
  refused({ ...fill, payload: { ...fp, price: '20100.50' } }, /fill\.executed\.payload\.price: expected a canonical decimal string/);
  refused({ ...fill, payload: { ...fp, side: 'short' } }, /fill\.executed\.payload\.side: expected one of buy, sell/);
  const { fee: _fee, ...noFee } = fp;
  refused({ ...fill, payload: noFee }, /fill\.executed\.payload\.fee: expected a canonical decimal string, got nothing/);
  const mark = first('mark.recorded');
  const mp = mark.payload as Record<string, CanonicalValue>;
  const withPosition = h.encoded.find((e) => e.type === 'mark.recorded' && ((e.payload as { positions: unknown[] }).positions.length > 0))!;
  const pos = (withPosition.payload as { positions: Record<string, CanonicalValue>[] }).positions;
  refused({ ...withPosition, payload: { ...(withPosition.payload as Record<string, CanonicalValue>), positions: [{ ...pos[0]!, qty: 1 }] } }, /mark\.recorded\.payload\.positions\[0\]\.qty/);
  refused({ ...mark, payload: { ...mp, tier: 'panic' } }, /mark\.recorded\.payload\.tier: expected one of/);
  const bar = first('bar.closed');
  refused({ ...bar, payload: { ...(bar.payload as Record<string, CanonicalValue>), vwap: '1' } }, /bar\.closed\.payload: unexpected field\(s\) vwap/);
  refused({ ...first('step.started'), payload: { command: 'market.tick', inbox_id: null, symbols: null, x: 1 } }, /step\.started\.payload: unexpected field\(s\) x/);
  assert.throws(() => decodeEvent({ type: 'order.filled', time_ms: 1, payload: {}, seq: 7 }), /seq 7: unknown event type "order\.filled"/);
  assert.throws(() => decodeEvent({ ...fill, payload: { ...fp, qty: 5 }, seq: 9 }), /: seq 9 \(fill\.executed\) payload\.qty: expected/);
});

test('every event type has a codec and an evolve case', () => {
  assert.deepEqual([...EVENT_TYPES].sort(), Object.keys(CODECS).sort());
  assert.equal(new Set(EVENT_TYPES).size, EVENT_TYPES.length);
  for (const type of EVENT_TYPES) {
    // a nonsense payload may make evolve fail, but never for want of a case
    try {
      evolve(initialBookState(), { type, time_ms: 1, payload: {} } as unknown as BookEvent);
    } catch (e) {
      assert.doesNotMatch((e as Error).message, /does not know event type/, type);
    }
  }
  assert.throws(() => evolve(initialBookState(), { type: 'order.filled', time_ms: 1, payload: {} } as unknown as BookEvent), /does not know event type "order\.filled"/);
});

test('the direct writers escape strings exactly as the JCS encoder (quotes, backslash, controls, DEL, non-ASCII, lone surrogates)', () => {
  const odd = ['plain', '', 'a"b', 'a\\b', 'tab\there', 'nl\n', '\u0000\u001f', 'del\u007f', 'é', '€ euro', '\u2028\u2029', '\ud83d\ude00', 'lone \ud800', 'lone \udc00 low', '/slash'];
  for (const reason of odd) {
    const codec = CODECS['runtime.stopped'];
    assert.equal(codec.json?.({ reason }), canonicalJson(codec.encode({ reason })), JSON.stringify(reason));
  }
});
