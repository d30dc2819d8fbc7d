/**
 * Every event a book writes, as ONE discriminated union (BookEvent), with one payload type per
 * event type (EventPayloads). The payload types are what the decider emits and what evolve reads:
 * amounts on the per-bar path (bar.closed, mark.recorded, book.started) are Decimals, so a tick
 * never turns its own decimals into text and back; the boundary (./codecs.ts) encodes each payload
 * once into canonical JSON (amounts as decimal strings) and decodes stored payloads, validating.
 * The rarer order/ledger payloads carry their amounts as the canonical decimal text the ledger
 * plans them in (they are written once per fill, not per bar).
 *
 * Steps are explicit: every step the runtime or the backtest writes begins with `step.started`,
 * which names the command that started it (and its input reference). Replay cuts a stream into
 * steps at these events and nowhere else.
 *
 * A step, by command (`[...]` = only when it applies):
 *   runtime.start     step.started, [book.opened,] runtime.started
 *   runtime.stop      step.started, runtime.stopped
 *   operator.command  step.started, operator.command_applied | operator.command_rejected, [the orders of a flatten,
 *                     or the governance events of directive.propose / approve / reject / retry]
 *   market.tick       step.started, [book.started, cash.posted (deposit), policy.changed,] bar.closed (one per symbol,
 *                     by symbol), then fills (order.triggered, fill.executed, ledger events, risk.cooldown_started,
 *                     order.closed), mark.recorded, [risk.tier_changed], [expired directives: directive.status_changed],
 *                     then per skill slot [skill.status_changed (quarantine)], skill.memory_set, signal.emitted,
 *                     intent.created, directive.proposed, policy.evaluated, directive.status_changed, and when
 *                     approved the run: execution.status_changed, order.placed, ...; [tick.completed] when not OK
 *                     (also when symbols were skipped as late). With truth epochs on and auto mode: epoch.advanced
 *                     right after the opening events, before bar.closed.
 *   market.late       step.started (symbols: [the symbol]), bar.late
 * Governance (infra/GOVERNANCE.md): a directive's status changes only through directive.status_changed.
 * Adding a type here without a codec (./codecs.ts) or an evolve case (./evolve.ts) is a compile error.
 */
import type { CanonicalValue } from '../canonical/index.js';
import type { Decimal } from '../money/decimal.js';
import type { Candle } from '../market/candle.js';
import type { CashKind } from '../ledger/index.js';
import type { Tier } from '../risk/profile.js';
import type { SkillMemory } from '../skills/types.js';
import type { Directive, DirectiveStatus, RuleResult, Verdict } from '../governance/index.js';
import type { SkillState } from '../governance/skill-lifecycle.js';

export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'canceled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TASK_OUTCOMES = ['SUCCESS', 'SKIPPED', 'FAILED'] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];
/** A skill's standing in the book: the lifecycle of core/governance/skill-lifecycle.ts (REGISTERED, ACTIVE, DEPRECATED, REMOVED, QUARANTINED). */
export { SKILL_STATES, type SkillState } from '../governance/skill-lifecycle.js';

export interface TaskRecord {
  readonly task: string;
  readonly outcome: TaskOutcome;
  readonly reason: string;
}

export const EXECUTION_PLANES = ['PAPER', 'SHADOW'] as const;
export type ExecutionPlane = (typeof EXECUTION_PLANES)[number];
/** ACTIVE trades; PAUSED (an operator) and HALTED (a harness error) take no new entries until `book resume`. */
export const BOOK_STATUSES = ['UNOPENED', 'ACTIVE', 'PAUSED', 'HALTED'] as const;
export type BookStatus = (typeof BOOK_STATUSES)[number];

export const COMMAND_KINDS = ['runtime.start', 'runtime.stop', 'operator.command', 'market.tick', 'market.late'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

/** The command a step answers: its kind and its input reference (the inbox row, the tick's series). */
export interface StepStarted {
  readonly command: CommandKind;
  /** operator.command: the inbox row id; else null. */
  readonly inbox_id: number | null;
  /** market.tick: the symbols whose candles closed at the tick (sorted); market.late: the late candle's symbol; else null. */
  readonly symbols: readonly string[] | null;
}

/** One check of the truth-epoch gate. */
export interface EpochCheck {
  readonly check: 'data_complete' | 'no_critical' | 'policy_compliant';
  readonly ok: boolean;
  readonly detail: string;
}

export interface OrderPlaced {
  readonly order_id: string;
  readonly intent_id: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly order_type: 'market' | 'limit' | 'stop';
  readonly qty: string;
  readonly limit_price: string | null;
  readonly stop_price: string | null;
  readonly unit_cost: string;
  readonly ref_price: string;
  readonly expire_bars: number;
}

export interface MarkPosition {
  readonly symbol: string;
  readonly qty: Decimal;
  readonly close: Decimal;
  readonly value: Decimal;
}

export interface EventPayloads {
  'step.started': StepStarted;
  'book.opened': { readonly book_id: string; readonly execution_plane: ExecutionPlane };
  'runtime.started': { readonly owner: string; readonly lease_epoch: number; readonly execution_plane: ExecutionPlane; readonly after_crash: boolean };
  'runtime.stopped': { readonly reason: string };
  'operator.command_applied': {
    readonly inbox_id: number; readonly command: string; readonly issued_by: string; readonly reason: string;
    readonly status_before: BookStatus; readonly status_after: BookStatus;
  };
  'operator.command_rejected': { readonly inbox_id: number; readonly command: string; readonly issued_by: string; readonly why: string };
  /** The trading book starts at its first tick: its whole resolved config is recorded, so a replay needs nothing else. */
  'book.started': {
    readonly book_id: string; readonly config_hash: string; readonly config: CanonicalValue; readonly initial_cash: Decimal;
    readonly window_bars: Readonly<Record<string, number>>;
  };
  /** The input, recorded: one closed candle. */
  'bar.closed': Candle;
  'order.triggered': { readonly order_id: string; readonly symbol: string; readonly stop_price: string | null; readonly bar_open_time_ms: number };
  'fill.executed': {
    readonly fill_id: string; readonly order_id: string; readonly symbol: string; readonly side: 'buy' | 'sell'; readonly qty: string; readonly price: string;
    readonly cost: string; readonly fee: string; readonly fee_pct: string; readonly liquidity: 'maker' | 'taker'; readonly bar_open_time_ms: number;
    readonly remaining: string; readonly clamp: 'cash' | 'position' | null;
  };
  'cash.posted': { readonly line: number; readonly kind: CashKind; readonly amount: string; readonly balance: string; readonly ref: string };
  'lot.opened': {
    readonly lot_id: string; readonly trade_id: string; readonly symbol: string; readonly qty: string; readonly price: string; readonly fee: string;
    readonly fill_id: string; readonly opened_ms: number;
  };
  'lot.consumed': {
    readonly lot_id: string; readonly symbol: string; readonly fill_id: string; readonly qty: string; readonly entry_price: string; readonly exit_price: string;
    readonly entry_fee: string; readonly exit_fee: string; readonly realized_pnl: string; readonly qty_left: string;
  };
  'trade.closed': {
    readonly trade_id: string; readonly symbol: string; readonly opened_ms: number; readonly closed_ms: number; readonly qty_bought: string;
    readonly realized_pnl: string; readonly fees: string;
  };
  'order.closed': { readonly order_id: string; readonly status: 'filled' | 'expired' | 'canceled'; readonly filled_qty: string; readonly reason: string };
  'risk.cooldown_started': { readonly until_ms: number; readonly trade_id: string; readonly loss_pct: string };
  'mark.recorded': {
    readonly cash: Decimal; readonly positions: readonly MarkPosition[]; readonly equity: Decimal; readonly exposure_pct: Decimal;
    readonly peak_equity: Decimal; readonly drawdown_pct: Decimal; readonly tier: Tier;
  };
  'risk.tier_changed': { readonly from: Tier; readonly to: Tier; readonly drawdown_pct: string; readonly profile: string };
  'skill.memory_set': { readonly skill: string; readonly symbol: string; readonly memory: SkillMemory };
  'signal.emitted': {
    readonly signal_id: string; readonly skill: string; readonly params: CanonicalValue; readonly symbol: string; readonly action: string;
    readonly fraction: string | null; readonly reason: string; readonly indicators: Readonly<Record<string, string>>; readonly order: CanonicalValue;
  };
  'intent.created': {
    readonly intent_id: string; readonly signal_id: string | null; readonly symbol: string; readonly side: 'buy' | 'sell'; readonly order_type: string;
    readonly qty: string; readonly limit_price: string | null; readonly stop_price: string | null; readonly unit_cost: string; readonly ref_price: string;
    readonly sizing: CanonicalValue;
  };
  /** A directive enters the lifecycle (draft -> proposed). */
  'directive.proposed': { readonly directive: Directive };
  /** The policy engine's verdict on a directive, with the policy version and hash; artifact_hash addresses the policy_evaluation artifact. */
  'policy.evaluated': {
    readonly directive_id: string; readonly policy_version: string; readonly policy_hash: string; readonly verdict: Verdict;
    readonly results: readonly RuleResult[]; readonly qty_allowed: string | null; readonly artifact_hash: string;
  };
  /** Every status change after proposed; `by` is "policy", "orchestrator" or "operator:<name>". */
  'directive.status_changed': {
    readonly directive_id: string; readonly from: DirectiveStatus; readonly to: DirectiveStatus; readonly by: string; readonly reason: string;
    readonly human_override: boolean; readonly note: string | null;
  };
  /** An execution run of an approved directive (pending -> running -> completed | failed | canceled). */
  'execution.status_changed': {
    readonly run_id: string; readonly directive_id: string; readonly module: string; readonly from: RunStatus; readonly to: RunStatus;
    readonly idempotency_key: string; readonly detail: string; readonly committed: string | null;
  };
  /** The policy the book evaluates with from now on (its first from the config, later by an approved policy.change). */
  'policy.changed': { readonly version: string; readonly hash: string; readonly policy: CanonicalValue; readonly by: string };
  /** risk.tier.reset: the drawdown peak set to the current equity, so the tier follows drawdown from here. */
  'risk.peak_reset': { readonly directive_id: string; readonly peak_before: string; readonly peak_after: string };
  'skill.status_changed': { readonly skill: string; readonly from: SkillState; readonly to: SkillState; readonly reason: string };
  /** An approved risk.profile.change: the book's risk rules and tiers follow this profile from now on. */
  'risk.profile_changed': { readonly directive_id: string; readonly profile: string; readonly overrides: CanonicalValue; readonly ref: string };
  /** A directive paused or resumed the book (an operator's own pause/resume is operator.command_applied). */
  'book.status_changed': { readonly from: BookStatus; readonly to: BookStatus; readonly directive_id: string };
  'epoch.mode_changed': { readonly mode: 'manual' | 'auto'; readonly directive_id: string };
  /** Written only for a tick that did not end OK: DEGRADED (a task FAILED) or HALTED (a harness error), with every task's outcome. */
  /**
   * A candle that arrived after its tick ran without it (the symbol was skipped as late). It never
   * rewrites a past tick: it joins the symbol's history, so later ticks (skills, marks) see it as
   * that symbol's newest bar until the next one.
   */
  'bar.late': Candle;
  /** The truth epoch TE moved to te_ms through its gate (./epochs.ts); operator: "operator:<name>" or null (auto). */
  'epoch.advanced': {
    readonly te_ms: number; readonly mode: 'manual' | 'auto' | 'override'; readonly operator: string | null; readonly justification: string | null;
    readonly checks: readonly EpochCheck[];
  };
  'tick.completed': { readonly status: 'DEGRADED' | 'HALTED'; readonly tasks: readonly TaskRecord[] };
  'order.placed': OrderPlaced;
}

export type EventType = keyof EventPayloads;

/** One event of a book, typed by its type. time_ms is event time (a bar close, a recorded input time). */
export type BookEvent = { [K in EventType]: { readonly type: K; readonly time_ms: number; readonly payload: EventPayloads[K] } }[EventType];
export type EventOf<K extends EventType> = Extract<BookEvent, { type: K }>;

/** Every book event type (the keys of EventPayloads; order as in the step description above). */
export const EVENT_TYPES: readonly EventType[] = [
  'step.started', 'book.opened', 'runtime.started', 'runtime.stopped', 'operator.command_applied', 'operator.command_rejected',
  'book.started', 'bar.closed', 'order.triggered', 'fill.executed', 'cash.posted', 'lot.opened', 'lot.consumed', 'trade.closed',
  'order.closed', 'risk.cooldown_started', 'mark.recorded', 'risk.tier_changed', 'skill.memory_set', 'signal.emitted',
  'intent.created', 'directive.proposed', 'policy.evaluated', 'directive.status_changed', 'execution.status_changed', 'policy.changed',
  'risk.peak_reset', 'risk.profile_changed', 'skill.status_changed', 'book.status_changed', 'epoch.mode_changed', 'tick.completed', 'order.placed',
  'bar.late', 'epoch.advanced',
];
