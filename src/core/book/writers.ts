/**
 * Direct canonical-JSON writers for the payloads every signal makes (directive.proposed,
 * policy.evaluated and its artifact body, directive.status_changed, execution.status_changed, the
 * signal, intent, order, fill and ledger events) and
 * for cash.posted: keys written in JCS order (UTF-16 code units), each value as the field codec
 * writes it (strings escaped as JSON.stringify, null as null, free-form values by the JCS encoder).
 * Why: the field-table writer reads each field by a computed key and calls its writer through a
 * shared closure (megamorphic on ~40 payload shapes), ~0.6-3.7 us an event; a signal makes ~14
 * events, ~16 % of the reference backtest's kernel. codecs.unit.test.ts checks every writer against
 * the generic encoder on every event of real runs and on strings that need escaping.
 */
import { canonicalJson } from '../canonical/index.js';
import type { RuleResult } from '../governance/index.js';
import { intText, optStr, q, str } from './json-text.js';
import type { EventPayloads } from './events.js';

function resultsJson(results: readonly RuleResult[]): string {
  let out = '[';
  for (let i = 0; i < results.length; i++) {
    const r = results[i] as RuleResult;
    out += `${i === 0 ? '' : ','}{"reason":${str(r.reason)},"rule":${str(r.rule)},"verdict":${str(r.verdict)}}`;
  }
  return out + ']';
}

/** The policy_evaluation artifact's body: the policy.evaluated payload without its own address. */
export function evaluationJson(p: Omit<EventPayloads['policy.evaluated'], 'artifact_hash'> & { readonly artifact_hash?: string }, withHash: boolean): string {
  return `{${withHash ? `"artifact_hash":${str(p.artifact_hash as string)},` : ''}"directive_id":${str(p.directive_id)},"policy_hash":${str(p.policy_hash)},` +
    `"policy_version":${str(p.policy_version)},"qty_allowed":${optStr(p.qty_allowed)},"results":${resultsJson(p.results)},"verdict":${str(p.verdict)}}`;
}

export function directiveProposedJson(p: EventPayloads['directive.proposed']): string {
  const d = p.directive;
  let symbols = '';
  for (let i = 0; i < d.scope.symbols.length; i++) symbols += (i === 0 ? '' : ',') + str(d.scope.symbols[i] as string);
  return `{"directive":{"budget":{"notional_max":${optStr(d.budget.notional_max)}},"constraints":${canonicalJson(d.constraints)},` +
    `"directive_id":${str(d.directive_id)},"idempotency_key":${str(d.idempotency_key)},"issued_by":${str(d.issued_by)},"module":${str(d.module)},` +
    `"objective":${str(d.objective)},"payload":${canonicalJson(d.payload)},"provenance":${canonicalJson(d.provenance)},"role":${str(d.role)},` +
    `"scope":{"book":${str(d.scope.book)},"symbols":[${symbols}]},"success_metrics":${canonicalJson(d.success_metrics)},` +
    `"timebox":{"expires_ms":${d.timebox.expires_ms === null ? 'null' : intText(d.timebox.expires_ms)}},"type":${str(d.type)}}}`;
}

export function directiveStatusJson(p: EventPayloads['directive.status_changed']): string {
  return `{"by":${str(p.by)},"directive_id":${str(p.directive_id)},"from":${str(p.from)},"human_override":${p.human_override ? 'true' : 'false'},` +
    `"note":${optStr(p.note)},"reason":${str(p.reason)},"to":${str(p.to)}}`;
}

export function executionStatusJson(p: EventPayloads['execution.status_changed']): string {
  return `{"committed":${optStr(p.committed)},"detail":${str(p.detail)},"directive_id":${str(p.directive_id)},"from":${str(p.from)},` +
    `"idempotency_key":${str(p.idempotency_key)},"module":${str(p.module)},"run_id":${str(p.run_id)},"to":${str(p.to)}}`;
}

export function cashPostedJson(p: EventPayloads['cash.posted']): string {
  return `{"amount":${str(p.amount)},"balance":${str(p.balance)},"kind":${str(p.kind)},"line":${intText(p.line)},"ref":${str(p.ref)}}`;
}

// The order and ledger payloads of a fill (a few per signal): ids, enum values and decimal texts.

export function fillJson(p: EventPayloads['fill.executed']): string {
  return `{"bar_open_time_ms":${intText(p.bar_open_time_ms)},"clamp":${optStr(p.clamp)},"cost":${str(p.cost)},"fee":${str(p.fee)},"fee_pct":${str(p.fee_pct)},` +
    `"fill_id":${str(p.fill_id)},"liquidity":${str(p.liquidity)},"order_id":${str(p.order_id)},"price":${str(p.price)},"qty":${str(p.qty)},` +
    `"remaining":${str(p.remaining)},"side":${str(p.side)},"symbol":${str(p.symbol)}}`;
}

export function orderPlacedJson(p: EventPayloads['order.placed']): string {
  return `{"expire_bars":${intText(p.expire_bars)},"intent_id":${str(p.intent_id)},"limit_price":${optStr(p.limit_price)},"order_id":${str(p.order_id)},` +
    `"order_type":${str(p.order_type)},"qty":${str(p.qty)},"ref_price":${str(p.ref_price)},"side":${str(p.side)},"stop_price":${optStr(p.stop_price)},` +
    `"symbol":${str(p.symbol)},"unit_cost":${str(p.unit_cost)}}`;
}

export function orderClosedJson(p: EventPayloads['order.closed']): string {
  return `{"filled_qty":${str(p.filled_qty)},"order_id":${str(p.order_id)},"reason":${str(p.reason)},"status":${str(p.status)}}`;
}

export function intentJson(p: EventPayloads['intent.created']): string {
  return `{"intent_id":${str(p.intent_id)},"limit_price":${optStr(p.limit_price)},"order_type":${str(p.order_type)},"qty":${str(p.qty)},` +
    `"ref_price":${str(p.ref_price)},"side":${str(p.side)},"signal_id":${optStr(p.signal_id)},"sizing":${canonicalJson(p.sizing)},` +
    `"stop_price":${optStr(p.stop_price)},"symbol":${str(p.symbol)},"unit_cost":${str(p.unit_cost)}}`;
}

export function signalJson(p: EventPayloads['signal.emitted']): string {
  // indicators: a record of strings, keys in JCS order (what sort() does with no comparator)
  const keys = Object.keys(p.indicators);
  if (keys.length > 1) keys.sort();
  let indicators = '';
  for (let i = 0; i < keys.length; i++) indicators += `${i === 0 ? '' : ','}${q(keys[i] as string)}:${str(p.indicators[keys[i] as string] as string)}`;
  return `{"action":${str(p.action)},"fraction":${optStr(p.fraction)},"indicators":{${indicators}},"order":${canonicalJson(p.order)},` +
    `"params":${canonicalJson(p.params)},"reason":${str(p.reason)},"signal_id":${str(p.signal_id)},"skill":${str(p.skill)},"symbol":${str(p.symbol)}}`;
}

export function lotOpenedJson(p: EventPayloads['lot.opened']): string {
  return `{"fee":${str(p.fee)},"fill_id":${str(p.fill_id)},"lot_id":${str(p.lot_id)},"opened_ms":${intText(p.opened_ms)},"price":${str(p.price)},` +
    `"qty":${str(p.qty)},"symbol":${str(p.symbol)},"trade_id":${str(p.trade_id)}}`;
}

export function lotConsumedJson(p: EventPayloads['lot.consumed']): string {
  return `{"entry_fee":${str(p.entry_fee)},"entry_price":${str(p.entry_price)},"exit_fee":${str(p.exit_fee)},"exit_price":${str(p.exit_price)},` +
    `"fill_id":${str(p.fill_id)},"lot_id":${str(p.lot_id)},"qty":${str(p.qty)},"qty_left":${str(p.qty_left)},"realized_pnl":${str(p.realized_pnl)},` +
    `"symbol":${str(p.symbol)}}`;
}

export function tradeClosedJson(p: EventPayloads['trade.closed']): string {
  return `{"closed_ms":${intText(p.closed_ms)},"fees":${str(p.fees)},"opened_ms":${intText(p.opened_ms)},"qty_bought":${str(p.qty_bought)},` +
    `"realized_pnl":${str(p.realized_pnl)},"symbol":${str(p.symbol)},"trade_id":${str(p.trade_id)}}`;
}
