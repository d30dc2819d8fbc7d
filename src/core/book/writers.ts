/**
 * Direct canonical-JSON writers for the governance payloads every signal makes (directive.proposed,
 * policy.evaluated and its artifact body, directive.status_changed, execution.status_changed) and
 * for cash.posted: keys written in JCS order (UTF-16 code units), each value as the field codec
 * writes it (strings escaped as JSON.stringify, null as null, free-form values by the JCS encoder).
 * Why: the field-table writer reads each field by a computed key and calls its writer through a
 * shared closure (megamorphic on ~40 payload shapes), ~0.6-3.7 us an event; a signal makes ~14
 * events, ~16 % of the reference backtest's kernel. codecs.unit.test.ts checks every writer against
 * the generic encoder on every event of real runs and on strings that need escaping.
 */
import { canonicalJson } from '../canonical/index.js';
import type { RuleResult } from '../governance/index.js';
import { intText, optStr, str } from './json-text.js';
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
