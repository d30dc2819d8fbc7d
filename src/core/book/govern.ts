/**
 * Governance inside a book step: a proposal becomes a directive (directive.proposed), the policy
 * engine judges it (policy.evaluated: version, hash, every rule's result, the artifact's content
 * address), and then
 *   BLOCK           -> proposed -> blocked (the rule and reason),
 *   NEEDS_APPROVAL  -> it waits in the state, the book keeps running; an operator approves or
 *                      rejects it through the inbox, or its timebox expires in event time,
 *   ALLOW           -> proposed -> approved (by "policy") -> carried out at once.
 * Carrying out (the orchestrator) = approved -> executing, an execution run pending -> running,
 * the directive's module with effects limited to what it declared (core/governance/modules.ts),
 * run -> completed | failed, directive -> complete | aborted. A human approval re-checks the risk
 * rules first (the book moved since the proposal): a refusal then is approved -> blocked.
 * Everything is events in the step that made it, so replay re-executes approvals as inputs.
 */
import { type CanonicalValue } from '../canonical/index.js';
import type { SkillBar } from '../skills/types.js';
import { sha256Hex } from '../canonical/hash.js';
import { Decimal } from '../money/decimal.js';
import type { PairSpec } from '../execution/index.js';
import { positionQty } from '../ledger/index.js';
import { tierFor, profileRef, type OrderIntent } from '../risk/index.js';
import {
  evaluate, moduleFor, resolvePolicy, roleOf, runModule, skillNextStates,
  type Directive, type SkillState, type DirectiveType, type Effects, type ModuleName, type ResolvedPolicy, type RuleResult,
} from '../governance/index.js';
import { activeProfile, cancelWorking, flatten, placeOrder, riskChecks, type StepContext } from './orders.js';
import { riskOverrideOf, type OpenDirective } from './state.js';
import type { BookEvent, EventPayloads, OrderPlaced } from './events.js';
import { probed } from './probe.js';
import { evaluationBodyJson } from './codecs.js';

/** Limit: directives waiting for approval in one book; beyond it a new proposal is blocked. */
export const OPEN_DIRECTIVES_MAX = 256;

export interface Proposal {
  readonly type: DirectiveType;
  readonly issued_by: string;
  readonly objective: string;
  readonly symbols: readonly string[];
  readonly payload: CanonicalValue;
  /** Notional a risk-increasing order would commit; null otherwise. */
  readonly notional: Decimal | null;
  /** Null: the policy's approval.timebox_bars. */
  readonly timebox_bars: number | null;
  readonly idempotency_key: string;
  readonly module?: ModuleName;
  readonly provenance: CanonicalValue;
}

/** The order a directive carries (its payload): an order.placed's fields but the order id, and whether it closes all. */
export interface OrderPayload extends Omit<OrderPlaced, 'order_id'> {
  /** An exit: cancel the symbol's working orders and sell everything held at execution. */
  readonly close_all: boolean;
}

export function intentOf(p: OrderPayload): OrderIntent {
  const d = (x: string | null) => (x === null ? null : Decimal.parse(x));
  return {
    intent_id: p.intent_id, symbol: p.symbol, side: p.side, type: p.order_type, qty: Decimal.parse(p.qty), limit_price: d(p.limit_price), stop_price: d(p.stop_price),
    unit_cost: Decimal.parse(p.unit_cost), ref_price: Decimal.parse(p.ref_price),
  };
}

function policyOf(ctx: StepContext): ResolvedPolicy {
  const p = ctx.s.policy;
  if (p === null) throw new Error('governance before the book started (no policy)');
  return p;
}

/** Records the directive and the policy's verdict, then blocks it, leaves it waiting, or carries it out. `checks` come first (sizing, risk). */
export function propose(ctx: StepContext, p: Proposal, checks: readonly RuleResult[], qtyAllowed: Decimal | null): string {
  const { s, book, time_ms } = ctx;
  const policy = policyOf(ctx);
  const id = `D${s.seq.directive + 1}`;
  const bars = p.timebox_bars ?? policy.doc.approval.timebox_bars;
  const directive: Directive = {
    directive_id: id, issued_by: p.issued_by, role: roleOf(p.type), type: p.type, objective: p.objective,
    scope: { book: s.book_id ?? book.config.book_id, symbols: [...p.symbols] }, constraints: null, success_metrics: null,
    budget: { notional_max: p.notional?.toString() ?? null }, timebox: { expires_ms: time_ms + bars * book.interval_s * 1000 },
    payload: p.payload, idempotency_key: p.idempotency_key, module: p.module ?? moduleFor(p.type), provenance: p.provenance,
  };
  ctx.emit({ type: 'directive.proposed', time_ms, payload: { directive } });
  judge(ctx, directive, p.notional, checks, qtyAllowed);
  return id;
}

/** The policy's verdict on a proposed directive (policy.evaluated), then blocked, left waiting, or carried out. */
function judge(ctx: StepContext, directive: Directive, notional: Decimal | null, checks: readonly RuleResult[], qtyAllowed: Decimal | null): void {
  const policy = policyOf(ctx);
  const id = directive.directive_id;
  const waiting = [...ctx.s.directives.values()].filter((d) => d.status === 'proposed').length - 1;
  const all: RuleResult[] = [...checks];
  if (waiting >= OPEN_DIRECTIVES_MAX) all.push({ rule: 'open_directives_max', verdict: 'BLOCK', reason: `${waiting} directives already wait for approval (max ${OPEN_DIRECTIVES_MAX})` });
  const ev = probed(ctx.probe, 'policy_evaluation', directive.type, () => evaluate(policy, directive, { book_id: directive.scope.book, notional, day_used: usedToday(ctx), checks: all }));
  const qty = ev.verdict === 'BLOCK' ? null : qtyAllowed;
  const body = { directive_id: id, policy_version: policy.version, policy_hash: policy.hash, verdict: ev.verdict, results: ev.results, qty_allowed: qty?.toString() ?? null };
  // (payloads here are literals, not `{ ...x, more }`: on Node 20 a spread plus keys costs ~1-2 us a call)
  ctx.emit({
    type: 'policy.evaluated', time_ms: ctx.time_ms,
    payload: {
      directive_id: id, policy_version: body.policy_version, policy_hash: body.policy_hash, verdict: body.verdict, results: body.results, qty_allowed: body.qty_allowed,
      // the policy_evaluation artifact's content address: sha256 hex of its canonical JSON (= canonicalJson(evaluationBody(body)))
      artifact_hash: sha256Hex(evaluationBodyJson(body)),
    },
  });
  if (ev.verdict === 'BLOCK') {
    const r = ev.results.find((x) => x.verdict === 'BLOCK') as RuleResult;
    status(ctx, id, 'proposed', 'blocked', 'policy', `${r.rule}: ${r.reason}`);
  } else if (ev.verdict === 'ALLOW') {
    status(ctx, id, 'proposed', 'approved', 'policy', 'allowed by every rule');
    execute(ctx, id, qty);
  }
}

// ---- retry: blocked -> proposed by a named operator; the policy judges it again at the next tick ----

/** An operator's retry of a blocked directive (checked by the caller: it is kept, blocked, and its timebox has not ended). */
export function retry(ctx: StepContext, d: OpenDirective, by: string, note: string | null): void {
  status(ctx, d.directive.directive_id, 'blocked', 'proposed', by, 'retry: the policy evaluates it again at the next tick', false, note);
}

/**
 * The harness task reevaluate_directives: every retried directive (proposed, no verdict yet) is
 * judged again on the book as it is now (an order's risk rules re-run; its notional from the
 * quantity they allow). At most `max` evaluations (the task's budget); returns how many it made
 * and whether more were waiting.
 */
export function reevaluateDirectives(ctx: StepContext, max: number): { evaluations: number; exceeded: boolean } {
  let evaluations = 0;
  for (const d of [...ctx.s.directives.values()]) {
    if (d.status !== 'proposed' || d.verdict !== null) continue;
    if (evaluations >= max) return { evaluations, exceeded: true };
    evaluations += 1;
    if (d.directive.module === 'paper.order') {
      const o = d.directive.payload as unknown as OrderPayload;
      const intent = intentOf(o);
      const r = riskChecks(ctx, intent, ctx.book.pairs[o.symbol] as PairSpec);
      const notional = o.side === 'buy' ? (r.qty ?? intent.qty).mul(intent.unit_cost) : null;
      judge(ctx, d.directive, notional, r.checks, r.qty);
    } else {
      judge(ctx, d.directive, null, [], null);
    }
  }
  return { evaluations, exceeded: false };
}

function usedToday(ctx: StepContext): Decimal {
  const day = Math.floor(ctx.time_ms / 86_400_000);
  return ctx.s.budget_day.day === day ? ctx.s.budget_day.used : Decimal.ZERO;
}

function status(ctx: StepContext, id: string, from: OpenDirective['status'], to: OpenDirective['status'], by: string, reason: string, human_override = false, note: string | null = null): void {
  ctx.emit({ type: 'directive.status_changed', time_ms: ctx.time_ms, payload: { directive_id: id, from, to, by, reason, human_override, note } });
}

/** An operator's approval of a waiting directive (checked by the caller: it exists and is proposed). */
export function approve(ctx: StepContext, d: OpenDirective, by: string, note: string | null): void {
  const id = d.directive.directive_id;
  status(ctx, id, 'proposed', 'approved', by, 'approved by a named operator', d.verdict === 'NEEDS_APPROVAL', note);
  if (d.directive.module === 'paper.order') {
    // the book moved since the proposal: the risk rules decide again on the book as it is now
    const o = d.directive.payload as unknown as OrderPayload;
    const r = riskChecks(ctx, intentOf(o), ctx.book.pairs[o.symbol] as PairSpec);
    if (r.qty === null) {
      const b = r.checks.find((x) => x.verdict === 'BLOCK') as RuleResult;
      return status(ctx, id, 'approved', 'blocked', 'policy', `${b.rule}: ${b.reason} (re-checked at execution)`);
    }
    return execute(ctx, id, d.qty_allowed === null || r.qty.lt(d.qty_allowed) ? r.qty : d.qty_allowed);
  }
  execute(ctx, id, d.qty_allowed);
}

export function reject(ctx: StepContext, d: OpenDirective, by: string, reason: string): void {
  status(ctx, d.directive.directive_id, 'proposed', 'blocked', by, `rejected: ${reason}`);
}

/** Directives whose timebox ran out by the step's market time: proposed -> blocked (timebox_expired). */
export function expireDirectives(ctx: StepContext): void {
  for (const d of [...ctx.s.directives.values()]) {
    const t = d.directive.timebox.expires_ms;
    if (d.status === 'proposed' && t !== null && ctx.time_ms >= t) status(ctx, d.directive.directive_id, 'proposed', 'blocked', 'policy', 'timebox_expired');
  }
}

/** The orchestrator: one execution run of an approved directive (`qty`: what the risk rules allow of an order). */
function execute(ctx: StepContext, id: string, qty: Decimal | null): void {
  const { s, time_ms } = ctx;
  const d = s.directives.get(id) as OpenDirective;
  const dir = d.directive;
  status(ctx, id, 'approved', 'executing', 'orchestrator', `module ${dir.module}`);
  const run_id = `R${s.seq.run + 1}`;
  const module = dir.module;
  const key = dir.idempotency_key;
  ctx.emit({ type: 'execution.status_changed', time_ms, payload: { run_id, directive_id: id, module, idempotency_key: key, from: 'pending', to: 'running', detail: '', committed: null } });
  const fx = effects(ctx, d, qty);
  const out = probed(ctx.probe, 'execution', dir.type, () => runModule(dir.module as ModuleName, { directive_id: id, type: dir.type, payload: dir.payload, idempotency_key: dir.idempotency_key }, fx));
  const ok = out.status === 'SUCCESS';
  const detail = ok && fx.shadowed ? 'SHADOW plane: decision traced, no order placed' : `${out.status}: ${out.detail}`;
  ctx.emit({
    type: 'execution.status_changed', time_ms,
    payload: { run_id, directive_id: id, module, idempotency_key: key, from: 'running', to: ok ? 'completed' : 'failed', detail, committed: ok ? fx.committed : null },
  });
  status(ctx, id, 'executing', ok ? 'complete' : 'aborted', 'orchestrator', detail);
}

/** What a directive's module may do to the book, each returning null when done or why not. */
function effects(ctx: StepContext, d: OpenDirective, qtyAllowed: Decimal | null): Effects & { committed: string | null; shadowed: boolean } {
  const { s, time_ms } = ctx;
  const dir = d.directive;
  const pl = (dir.payload ?? {}) as { readonly [k: string]: CanonicalValue };
  const fx = {
    committed: null as string | null,
    shadowed: false,
    placeOrder(): string | null {
      const o = dir.payload as unknown as OrderPayload;
      const intent = intentOf(o);
      let qty = qtyAllowed ?? intent.qty;
      if (s.execution_plane === 'SHADOW') {
        fx.shadowed = true;
        return null;
      }
      if (o.side === 'sell') {
        if (o.close_all) cancelWorking(ctx, o.symbol, 'superseded_by_exit');
        const held = positionQty(s.ledger, o.symbol);
        qty = o.close_all ? held : qty.min(held);
        if (!qty.isPositive()) return `nothing of ${o.symbol} held to sell`;
      }
      const notional = qty.mul(intent.unit_cost);
      if (o.side === 'buy' && dir.budget.notional_max !== null && notional.gt(Decimal.parse(dir.budget.notional_max))) {
        return `order notional ${notional.toString()} exceeds the directive's budget ${dir.budget.notional_max}`;
      }
      const why = placeOrder(ctx, intent, qty, o.expire_bars);
      if (why === null && o.side === 'buy') fx.committed = notional.toString();
      return why;
    },
    setStatus(to: 'PAUSED' | 'ACTIVE'): string | null {
      if (s.status === to) return `the book is already ${to}`;
      ctx.emit({ type: 'book.status_changed', time_ms, payload: { from: s.status, to, directive_id: dir.directive_id } });
      return null;
    },
    flatten(): string | null {
      const symbols = Array.isArray(pl.symbols) ? (pl.symbols as string[]) : null;
      flatten(ctx, symbols, dir.directive_id);
      return null;
    },
    resetTier(): string | null {
      const before = s.peak_equity;
      ctx.emit({ type: 'risk.peak_reset', time_ms, payload: { directive_id: dir.directive_id, peak_before: before.toString(), peak_after: s.equity.toString() } });
      const profile = activeProfile(ctx);
      const to = tierFor(profile, Decimal.ZERO);
      if (to !== s.tier) ctx.emit({ type: 'risk.tier_changed', time_ms, payload: { from: s.tier, to, drawdown_pct: '0', profile: profileRef(profile) } });
      return null;
    },
    changeProfile(): string | null {
      const name = pl.profile as string;
      const overrides = (pl.overrides ?? {}) as CanonicalValue;
      const o = riskOverrideOf(name, overrides); // checked when proposed
      ctx.emit({ type: 'risk.profile_changed', time_ms, payload: { directive_id: dir.directive_id, profile: name, overrides, ref: profileRef(o.resolved) } });
      return null;
    },
    changePolicy(): string | null {
      const p = resolvePolicy(pl.policy, 'payload.policy'); // validated at proposal
      ctx.emit({ type: 'policy.changed', time_ms, payload: { version: p.version, hash: p.hash, policy: p.json, by: dir.directive_id } });
      return null;
    },
    setSkillState(to: SkillState): string | null {
      const key = pl.skill as string;
      const from = s.skill_states.get(key) ?? 'ACTIVE';
      if (from === to) return `skill ${key} is already ${to}`;
      // not an edge (e.g. REMOVED is final): the run fails naming both states, nothing changes
      if (!skillNextStates(from).includes(to)) return `skill ${key}: ${from} -> ${to} is not a lifecycle transition (from ${from}: ${skillNextStates(from).join(', ') || 'none: it is final'})`;
      ctx.emit({ type: 'skill.status_changed', time_ms, payload: { skill: key, from, to, reason: `directive ${dir.directive_id}` } });
      return null;
    },
    enableEpochAuto(): string | null {
      if (s.epoch_auto) return 'automatic epoch advancement is already enabled';
      ctx.emit({ type: 'epoch.mode_changed', time_ms, payload: { mode: 'auto', directive_id: dir.directive_id } });
      return null;
    },
  };
  return fx;
}

/** The policy_evaluation artifact of a policy.evaluated payload: everything but its own address. */
export function evaluationBody(p: Omit<EventPayloads['policy.evaluated'], 'artifact_hash'>): CanonicalValue {
  return {
    directive_id: p.directive_id, policy_version: p.policy_version, policy_hash: p.policy_hash, verdict: p.verdict,
    results: p.results.map((r) => ({ rule: r.rule, verdict: r.verdict, reason: r.reason })), qty_allowed: p.qty_allowed,
  };
}

/** The content-addressed artifacts a step's events name (the store writes them with the events, checking each address). */
export function artifactsOf(events: readonly BookEvent[]): { kind: string; hash: string; body: CanonicalValue; index: number }[] {
  const out: { kind: string; hash: string; body: CanonicalValue; index: number }[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as BookEvent;
    if (e.type === 'policy.evaluated') out.push({ kind: 'policy_evaluation', hash: e.payload.artifact_hash, body: evaluationBody(e.payload), index: i });
  }
  return out;
}

const INPUTS_TAG = new TextEncoder().encode('warden.skill.inputs.v1\u0000');
/** Where inputsHash's floats start in its buffer: the first multiple of 8 at or after the tag's length (23). */
const INPUTS_FLOATS_AT = Math.ceil(INPUTS_TAG.length / 8) * 8;

/**
 * sha256 hex of a skill's inputs at a signal: the last `n` bars it read, as the floats it read them
 * (open time, open, high, low, close, volume; little-endian IEEE 754), with a domain tag. One
 * typed array per signal, no text: signals are frequent enough on long runs for this to matter.
 */
export function inputsHash(bars: readonly SkillBar[], n: number): string {
  const from = Math.max(0, bars.length - n);
  // one buffer: the tag in bytes [TAG_AT, 24), the floats from byte 24 (8-aligned), hashed as ONE part
  const buffer = new ArrayBuffer(INPUTS_FLOATS_AT + 48 * (bars.length - from));
  const bytes = new Uint8Array(buffer);
  bytes.set(INPUTS_TAG, INPUTS_FLOATS_AT - INPUTS_TAG.length);
  const f = new Float64Array(buffer, INPUTS_FLOATS_AT);
  for (let i = from, k = 0; i < bars.length; i++) {
    const b = bars[i] as SkillBar;
    f[k++] = b.open_time_ms; f[k++] = b.open; f[k++] = b.high; f[k++] = b.low; f[k++] = b.close; f[k++] = b.volume;
  }
  return sha256Hex(bytes.subarray(INPUTS_FLOATS_AT - INPUTS_TAG.length));
}
