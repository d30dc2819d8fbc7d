/**
 * One codec per event payload: encode (typed payload -> canonical JSON, amounts as canonical
 * decimal strings) and decode (stored canonical JSON -> typed payload, validating every field and
 * naming the first bad one). CODECS is keyed by every EventType: a type without a codec does not
 * compile. encodeEvent / decodeEvent are the boundary between the kernel and the store; the
 * per-bar payloads (bar.closed, mark.recorded) have hand-written encoders here, the payloads a signal
 * makes have theirs in ./writers.ts, the rest are built from
 * a small field table.
 */
import { canonicalJson, integerText, quotedKey, type CanonicalValue } from '../canonical/index.js';
import { EventCodecError, intText, q, str } from './json-text.js';
import {
  cashPostedJson, directiveProposedJson, directiveStatusJson, evaluationJson, executionStatusJson, fillJson, intentJson, lotConsumedJson, lotOpenedJson,
  orderClosedJson, orderPlacedJson, signalJson, tradeClosedJson,
} from './writers.js';
import { Decimal } from '../money/decimal.js';
import type { NewEvent } from '../events/envelope.js';
import { TIERS, type Tier } from '../risk/profile.js';
import { DIRECTIVE_STATUSES, DIRECTIVE_TYPES, VERDICTS, type Directive } from '../governance/index.js';
import { BOOK_STATUSES, COMMAND_KINDS, EXECUTION_PLANES, RUN_STATUSES, SKILL_STATES, TASK_OUTCOMES, type BookEvent, type EventPayloads, type EventType, type MarkPosition } from './events.js';

export { EventCodecError };

type Obj = { readonly [k: string]: CanonicalValue };

interface Field<T> {
  enc(v: T): CanonicalValue;
  dec(v: CanonicalValue | undefined, at: string): T;
  /** The canonical JSON text of enc(v), written directly. */
  json(v: T): string;
}

export interface PayloadCodec<P> {
  encode(p: P): CanonicalValue;
  decode(v: CanonicalValue, at: string): P;
  /**
   * The canonical JSON text of encode(p), written directly (keys in canonical order) for the
   * per-bar payloads; equal to canonicalJson(encode(p)) (codecs.unit.test.ts checks it on real runs).
   */
  json?(p: P): string;
}

const fail = (at: string, what: string, v: CanonicalValue | undefined): never => {
  throw new EventCodecError(`${at}: expected ${what}, got ${v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 80)}`);
};
function isObj(v: CanonicalValue | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Canonical decimal text: no leading zeros, no trailing fractional zeros, no "-0". */
const DEC_TEXT_RE = /^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/;

export const F = {
  str: { enc: (v: string) => v, dec: (v, at) => (typeof v === 'string' ? v : fail(at, 'a string', v)), json: str } as Field<string>,
  int: { enc: (v: number) => v, dec: (v, at) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : fail(at, 'an integer', v)), json: intText } as Field<number>,
  bool: { enc: (v: boolean) => v, dec: (v, at) => (typeof v === 'boolean' ? v : fail(at, 'a boolean', v)), json: (v: boolean) => (v ? 'true' : 'false') } as Field<boolean>,
  /** A decimal kept as its canonical text (the rarer order and ledger payloads). */
  text: { enc: (v: string) => v, dec: (v, at) => (typeof v === 'string' && DEC_TEXT_RE.test(v) && v !== '-0' ? v : fail(at, 'a canonical decimal string', v)), json: str } as Field<string>,
  dec: { enc: (v: Decimal) => v.toString(), dec: (v, at) => (typeof v === 'string' && DEC_TEXT_RE.test(v) && v !== '-0' ? Decimal.parse(v, at) : fail(at, 'a canonical decimal string', v)), json: (v: Decimal) => `"${v.toString()}"` } as Field<Decimal>,
  any: { enc: (v: CanonicalValue) => v, dec: (v, at) => (v === undefined ? fail(at, 'a value', v) : v), json: (v: CanonicalValue) => canonicalJson(v) } as Field<CanonicalValue>,
  oneOf<T extends string>(values: readonly T[]): Field<T> {
    // an enum's few values are quoted once, here (the text str() would write)
    const quoted = new Map<string, string>(values.map((v) => [v, str(v)]));
    return {
      enc: (v) => v, dec: (v, at) => (typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : fail(at, `one of ${values.join(', ')}`, v)),
      json: (v) => quoted.get(v) ?? str(v),
    };
  },
  nullable<T>(f: Field<T>): Field<T | null> {
    return { enc: (v) => (v === null ? null : f.enc(v)), dec: (v, at) => (v === null ? null : f.dec(v, at)), json: (v) => (v === null ? 'null' : f.json(v)) };
  },
  array<T>(f: Field<T>): Field<readonly T[]> {
    return {
      enc: (v) => v.map((x) => f.enc(x)), dec: (v, at) => (Array.isArray(v) ? v.map((x, i) => f.dec(x, `${at}[${i}]`)) : fail(at, 'an array', v)),
      json: (v) => {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + f.json(v[i] as T);
        return out + ']';
      },
    };
  },
  record<T>(f: Field<T>): Field<Readonly<Record<string, T>>> {
    return {
      // keys in JCS order (UTF-16 code units: what sort() does with no comparator), each value by its field
      json: (v) => {
        const keys = Object.keys(v);
        if (keys.length > 1) keys.sort();
        let out = '{';
        for (let i = 0; i < keys.length; i++) out += `${i === 0 ? '' : ','}${quotedKey(keys[i] as string)}:${f.json(v[keys[i] as string] as T)}`;
        return out + '}';
      },
      enc: (v) => {
        const o: Record<string, CanonicalValue> = {};
        for (const k of Object.keys(v)) o[k] = f.enc(v[k] as T);
        return o;
      },
      dec: (v, at) => {
        if (!isObj(v)) return fail(at, 'an object', v);
        const o: Record<string, T> = Object.create(null) as Record<string, T>;
        for (const k of Object.keys(v)) o[k] = f.dec(v[k], `${at}.${k}`);
        return { ...o };
      },
    };
  },
  object<P>(spec: { readonly [K in keyof P]-?: Field<P[K]> }): Field<P> {
    const keys = Object.keys(spec) as (keyof P & string)[];
    // canonical key order (JCS sorts by UTF-16 code units; these keys are ASCII)
    const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => ({ k, prefix: `${q(k)}:`, f: spec[k] }));
    return {
      json: (p) => {
        let out = '{';
        for (let i = 0; i < sorted.length; i++) {
          const x = sorted[i]!;
          out += (i === 0 ? '' : ',') + x.prefix + x.f.json(p[x.k]);
        }
        return out + '}';
      },
      enc: (p) => {
        const o: Record<string, CanonicalValue> = {};
        for (const k of keys) o[k] = spec[k].enc(p[k]);
        return o;
      },
      dec: (v, at) => {
        if (!isObj(v)) return fail(at, 'an object', v);
        const extra = Object.keys(v).filter((k) => !(k in spec));
        if (extra.length > 0) throw new EventCodecError(`${at}: unexpected field(s) ${extra.sort().join(', ')}`);
        const o: Partial<Record<keyof P, unknown>> = {};
        for (const k of keys) o[k] = spec[k].dec(v[k], `${at}.${k}`);
        return o as P;
      },
    };
  },
};

const side = F.oneOf(['buy', 'sell'] as const);
const tier = F.oneOf<Tier>(TIERS);
const plane = F.oneOf(EXECUTION_PLANES);
const status = F.oneOf(BOOK_STATUSES);
const optText = F.nullable(F.text);
const dstatus = F.oneOf(DIRECTIVE_STATUSES);
const rstatus = F.oneOf(RUN_STATUSES);
const sstate = F.oneOf(SKILL_STATES);
const ruleResult = F.object({ rule: F.str, verdict: F.oneOf(VERDICTS), reason: F.str });
const directiveField = F.object<Directive>({
  directive_id: F.str, issued_by: F.str, role: F.str, type: F.oneOf(DIRECTIVE_TYPES), objective: F.str,
  scope: F.object({ book: F.str, symbols: F.array(F.str) }), constraints: F.any, success_metrics: F.any,
  budget: F.object({ notional_max: optText }), timebox: F.object({ expires_ms: F.nullable(F.int) }), payload: F.any,
  idempotency_key: F.str, module: F.str, provenance: F.any,
});

/** = canonicalJson(evaluationBody(p)) (codecs.unit.test.ts checks it), without the generic encoder: one per signal. */
export function evaluationBodyJson(p: Omit<EventPayloads['policy.evaluated'], 'artifact_hash'>): string {
  return evaluationJson(p, false);
}

function codecOf<P>(f: Field<P>): PayloadCodec<P> {
  return { encode: (p) => f.enc(p), decode: (v, at) => f.dec(v, at), json: (p) => f.json(p) };
}

/** The recorded candle: every field but vwap (a stored vwap is an unexpected field, like any other). */
const barField = F.object<Omit<EventPayloads['bar.closed'], 'vwap'>>({
  symbol: F.str, interval_s: F.int, open_time_ms: F.int, open: F.dec, high: F.dec, low: F.dec, close: F.dec, volume: F.dec, count: F.int,
});

/**
 * The text between a bar's numbers that depends only on its series (interval, symbol), kept for
 * the last series written: a book's bars come from a few series, and each of those pieces would
 * otherwise be built again for every bar.
 */
let barSeries: { interval_s: number; symbol: string; afterHigh: string; afterTime: string } | null = null;
function barPieces(interval_s: number, symbol: string): { afterHigh: string; afterTime: string } {
  const m = barSeries;
  if (m !== null && m.interval_s === interval_s && m.symbol === symbol) return m;
  barSeries = { interval_s, symbol, afterHigh: `","interval_s":${intText(interval_s)},"low":"`, afterTime: `,"symbol":${quotedKey(symbol)},"volume":"` };
  return barSeries;
}

/** bar.closed: the candle's fields (vwap is not part of the record: the kernel never reads it). */
const barClosed: Required<PayloadCodec<EventPayloads['bar.closed']>> = {
  json: (c) => {
    const k = barPieces(c.interval_s, c.symbol);
    return `{"close":"${c.close.toString()}","count":${intText(c.count)},"high":"${c.high.toString()}${k.afterHigh}${c.low.toString()}",` +
      `"open":"${c.open.toString()}","open_time_ms":${integerText(c.open_time_ms)}${k.afterTime}${c.volume.toString()}"}`;
  },
  encode: (c) => ({
    symbol: c.symbol, interval_s: c.interval_s, open_time_ms: c.open_time_ms, open: c.open.toString(), high: c.high.toString(),
    low: c.low.toString(), close: c.close.toString(), volume: c.volume.toString(), count: c.count,
  }),
  decode: (v, at) => ({ ...barField.dec(v, at), vwap: null }),
};

const markPosition = F.object<MarkPosition>({ symbol: F.str, qty: F.dec, close: F.dec, value: F.dec });
const markField = F.object<EventPayloads['mark.recorded']>({
  cash: F.dec, positions: F.array(markPosition), equity: F.dec, exposure_pct: F.dec, peak_equity: F.dec, drawdown_pct: F.dec, tier,
});
/**
 * The last flat mark's payload and text: a flat book marks the very same Decimals (cash as equity
 * and peak, the remembered drawdown, zero exposure) tick after tick, so its text is written once
 * and reused while every field is the same object (identity: no value is compared).
 */
let lastFlatMark: { p: EventPayloads['mark.recorded']; text: string } | null = null;
function sameFlatMark(a: EventPayloads['mark.recorded'], b: EventPayloads['mark.recorded']): boolean {
  return a.cash === b.cash && a.equity === b.equity && a.exposure_pct === b.exposure_pct && a.peak_equity === b.peak_equity &&
    a.drawdown_pct === b.drawdown_pct && a.tier === b.tier && a.positions.length === 0 && b.positions.length === 0;
}

const markRecorded: Required<PayloadCodec<EventPayloads['mark.recorded']>> = {
  json: (p) => {
    if (p.positions.length === 0) {
      if (lastFlatMark !== null && sameFlatMark(lastFlatMark.p, p)) return lastFlatMark.text;
      const text = markJson(p);
      lastFlatMark = { p, text };
      return text;
    }
    return markJson(p);
  },
  encode: (p) => ({
    cash: p.cash.toString(),
    positions: p.positions.length === 0 ? [] : p.positions.map((x) => ({ symbol: x.symbol, qty: x.qty.toString(), close: x.close.toString(), value: x.value.toString() })),
    equity: p.equity.toString(), exposure_pct: p.exposure_pct.toString(), peak_equity: p.peak_equity.toString(), drawdown_pct: p.drawdown_pct.toString(), tier: p.tier,
  }),
  decode: (v, at) => markField.dec(v, at),
};
function markJson(p: EventPayloads['mark.recorded']): string {
  let positions = '';
  for (const x of p.positions) positions += `${positions === '' ? '' : ','}{"close":"${x.close.toString()}","qty":"${x.qty.toString()}","symbol":${quotedKey(x.symbol)},"value":"${x.value.toString()}"}`;
  return `{"cash":"${p.cash.toString()}","drawdown_pct":"${p.drawdown_pct.toString()}","equity":"${p.equity.toString()}","exposure_pct":"${p.exposure_pct.toString()}",` +
    `"peak_equity":"${p.peak_equity.toString()}","positions":[${positions}],"tier":${quotedKey(p.tier)}}`;
}

/**
 * step.started: every tick of a book writes the same text ({"command":"market.tick","inbox_id":null,
 * "symbols":[...the book's symbols]}), so the last payload's text is kept and reused when equal.
 */
let lastStep: { command: string; inbox_id: number | null; symbols: string[] | null; text: string } | null = null;
function stepStartedJson(p: EventPayloads['step.started']): string {
  const m = lastStep;
  if (m !== null && m.command === p.command && m.inbox_id === p.inbox_id && sameList(m.symbols, p.symbols)) return m.text;
  const text = `{"command":${q(p.command)},"inbox_id":${p.inbox_id === null ? 'null' : intText(p.inbox_id)},"symbols":${p.symbols === null ? 'null' : `[${p.symbols.map((x) => q(x)).join(',')}]`}}`;
  lastStep = { command: p.command, inbox_id: p.inbox_id, symbols: p.symbols === null ? null : [...p.symbols], text };
  return text;
}
function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const CODECS: { readonly [K in EventType]: PayloadCodec<EventPayloads[K]> } = {
  'step.started': {
    ...codecOf(F.object({ command: F.oneOf(COMMAND_KINDS), inbox_id: F.nullable(F.int), symbols: F.nullable(F.array(F.str)) })),
    json: stepStartedJson,
  },
  'book.opened': codecOf(F.object({ book_id: F.str, execution_plane: plane })),
  'runtime.started': codecOf(F.object({ owner: F.str, lease_epoch: F.int, execution_plane: plane, after_crash: F.bool })),
  'runtime.stopped': codecOf(F.object({ reason: F.str })),
  'operator.command_applied': codecOf(F.object({ inbox_id: F.int, command: F.str, issued_by: F.str, reason: F.str, status_before: status, status_after: status })),
  'operator.command_rejected': codecOf(F.object({ inbox_id: F.int, command: F.str, issued_by: F.str, why: F.str })),
  'book.started': codecOf(F.object({ book_id: F.str, config_hash: F.str, config: F.any, initial_cash: F.dec, window_bars: F.record(F.int) })),
  'bar.closed': barClosed,
  'order.triggered': codecOf(F.object({ order_id: F.str, symbol: F.str, stop_price: optText, bar_open_time_ms: F.int })),
  'fill.executed': { ...codecOf(F.object({
    fill_id: F.str, order_id: F.str, symbol: F.str, side, qty: F.text, price: F.text, cost: F.text, fee: F.text, fee_pct: F.text,
    liquidity: F.oneOf(['maker', 'taker'] as const), bar_open_time_ms: F.int, remaining: F.text, clamp: F.nullable(F.oneOf(['cash', 'position'] as const)),
  })), json: fillJson },
  'cash.posted': { ...codecOf(F.object({ line: F.int, kind: F.oneOf(['deposit', 'buy_cost', 'sell_proceeds', 'fee'] as const), amount: F.text, balance: F.text, ref: F.str })), json: cashPostedJson },
  'lot.opened': { ...codecOf(F.object({ lot_id: F.str, trade_id: F.str, symbol: F.str, qty: F.text, price: F.text, fee: F.text, fill_id: F.str, opened_ms: F.int })), json: lotOpenedJson },
  'lot.consumed': { ...codecOf(F.object({
    lot_id: F.str, symbol: F.str, fill_id: F.str, qty: F.text, entry_price: F.text, exit_price: F.text, entry_fee: F.text, exit_fee: F.text, realized_pnl: F.text, qty_left: F.text,
  })), json: lotConsumedJson },
  'trade.closed': { ...codecOf(F.object({ trade_id: F.str, symbol: F.str, opened_ms: F.int, closed_ms: F.int, qty_bought: F.text, realized_pnl: F.text, fees: F.text })), json: tradeClosedJson },
  'order.closed': { ...codecOf(F.object({ order_id: F.str, status: F.oneOf(['filled', 'expired', 'canceled'] as const), filled_qty: F.text, reason: F.str })), json: orderClosedJson },
  'risk.cooldown_started': codecOf(F.object({ until_ms: F.int, trade_id: F.str, loss_pct: F.text })),
  'mark.recorded': markRecorded,
  'risk.tier_changed': codecOf(F.object({ from: tier, to: tier, drawdown_pct: F.text, profile: F.str })),
  'skill.memory_set': codecOf(F.object({ skill: F.str, symbol: F.str, memory: F.nullable(F.record(F.any)) })),
  'signal.emitted': { ...codecOf(F.object({
    signal_id: F.str, skill: F.str, params: F.any, symbol: F.str, action: F.str, fraction: optText, reason: F.str, indicators: F.record(F.str), order: F.any,
  })), json: signalJson },
  'intent.created': { ...codecOf(F.object({
    intent_id: F.str, signal_id: F.nullable(F.str), symbol: F.str, side, order_type: F.str, qty: F.text, limit_price: optText, stop_price: optText,
    unit_cost: F.text, ref_price: F.text, sizing: F.any,
  })), json: intentJson },
  'directive.proposed': { ...codecOf(F.object({ directive: directiveField })), json: directiveProposedJson },
  'policy.evaluated': {
    ...codecOf(F.object({
      directive_id: F.str, policy_version: F.str, policy_hash: F.str, verdict: F.oneOf(VERDICTS), results: F.array(ruleResult), qty_allowed: optText, artifact_hash: F.str,
    })),
    json: (p) => evaluationJson(p, true),
  },
  'directive.status_changed': {
    ...codecOf(F.object({ directive_id: F.str, from: dstatus, to: dstatus, by: F.str, reason: F.str, human_override: F.bool, note: F.nullable(F.str) })),
    json: directiveStatusJson,
  },
  'execution.status_changed': {
    ...codecOf(F.object({ run_id: F.str, directive_id: F.str, module: F.str, from: rstatus, to: rstatus, idempotency_key: F.str, detail: F.str, committed: optText })),
    json: executionStatusJson,
  },
  'policy.changed': codecOf(F.object({ version: F.str, hash: F.str, policy: F.any, by: F.str })),
  'risk.peak_reset': codecOf(F.object({ directive_id: F.str, peak_before: F.text, peak_after: F.text })),
  'skill.status_changed': codecOf(F.object({ skill: F.str, from: sstate, to: sstate, reason: F.str })),
  'risk.profile_changed': codecOf(F.object({ directive_id: F.str, profile: F.str, overrides: F.any, ref: F.str })),
  'book.status_changed': codecOf(F.object({ from: status, to: status, directive_id: F.str })),
  'epoch.mode_changed': codecOf(F.object({ mode: F.oneOf(['manual', 'auto'] as const), directive_id: F.str })),
  'tick.completed': codecOf(F.object({
    status: F.oneOf(['DEGRADED', 'HALTED'] as const), tasks: F.array(F.object({ task: F.str, outcome: F.oneOf(TASK_OUTCOMES), reason: F.str })),
  })),
  'bar.late': barClosed as PayloadCodec<EventPayloads['bar.late']>,
  'epoch.advanced': codecOf(F.object({
    te_ms: F.int, mode: F.oneOf(['manual', 'auto', 'override'] as const), operator: F.nullable(F.str), justification: F.nullable(F.str),
    checks: F.array(F.object({ check: F.oneOf(['data_complete', 'no_critical', 'policy_compliant'] as const), ok: F.bool, detail: F.str })),
  })),
  'order.placed': { ...codecOf(F.object({
    order_id: F.str, intent_id: F.str, symbol: F.str, side, order_type: F.oneOf(['market', 'limit', 'stop'] as const), qty: F.text,
    limit_price: optText, stop_price: optText, unit_cost: F.text, ref_price: F.text, expire_bars: F.int,
  })), json: orderPlacedJson },
};

const KNOWN: ReadonlySet<string> = new Set(Object.keys(CODECS));

export function isEventType(type: string): type is EventType {
  return KNOWN.has(type);
}

/** The canonical JSON text of an event's payload (what the store hashes inside the envelope), written once. */
export function payloadJson(e: BookEvent): string {
  // the three events of every bar are written without the table: a keyed load on CODECS and a call
  // through ~40 different closures is a megamorphic lookup per event (~5 % of the kernel's time)
  switch (e.type) {
    case 'step.started':
      return stepStartedJson(e.payload);
    case 'bar.closed':
      return barClosed.json(e.payload);
    case 'mark.recorded':
      return markRecorded.json(e.payload);
  }
  const codec = CODECS[e.type] as PayloadCodec<unknown>;
  return codec.json !== undefined ? codec.json(e.payload) : canonicalJson(codec.encode(e.payload));
}

/** The event as the store takes it: payload in canonical JSON. */
export function encodeEvent(e: BookEvent): NewEvent {
  const codec = CODECS[e.type] as PayloadCodec<unknown>;
  return { type: e.type, time_ms: e.time_ms, payload: codec.encode(e.payload) };
}

/**
 * An event on its way to the store (the runtime's steps, `backtest --persist`): its payload's
 * canonical JSON written once by the direct writers (payloadJson, equal to the generic encoding
 * of encodeEvent's payload on every event of real runs: codecs.unit.test.ts), which the store
 * hashes and writes as it is; the payload value is built only if something reads it (the store's
 * chained event reads it from here only when asked: core/events chainBatch). `json` is set here
 * only: a copy of this object (a spread) keeps `json` but not the payload, so none is made.
 */
class AppendableEvent implements NewEvent {
  readonly type: string;
  readonly time_ms: number;
  readonly json: string;
  private encoded: CanonicalValue | undefined = undefined;
  constructor(private readonly event: BookEvent) {
    this.type = event.type;
    this.time_ms = event.time_ms;
    this.json = payloadJson(event);
  }
  get payload(): CanonicalValue {
    this.encoded ??= (CODECS[this.event.type] as PayloadCodec<unknown>).encode(this.event.payload);
    return this.encoded;
  }
}

export function appendableEvent(e: BookEvent): NewEvent {
  return new AppendableEvent(e);
}

/** A stored event back into its typed form; an unknown type or a bad field is an EventCodecError naming it. */
export function decodeEvent(e: { readonly type: string; readonly time_ms: number; readonly payload: CanonicalValue; readonly seq?: number }): BookEvent {
  if (!isEventType(e.type)) throw new EventCodecError(`${e.seq === undefined ? '' : `seq ${e.seq}: `}unknown event type ${JSON.stringify(e.type)}`);
  const codec = CODECS[e.type] as PayloadCodec<unknown>;
  const at = e.seq === undefined ? `${e.type}.payload` : `seq ${e.seq} (${e.type}) payload`;
  return { type: e.type, time_ms: e.time_ms, payload: codec.decode(e.payload, at) } as BookEvent;
}
