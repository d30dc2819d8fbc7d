/**
 * Directives: the boundary between "thinking" and "doing". A skill, an operator or (later) an
 * analyst never acts on a book: it PROPOSES a directive, the policy engine (./policy.ts) judges
 * it, a named human approves it where policy asks for one, and only then does an execution module
 * (./modules.ts) act. This file holds the directive record and its lifecycle; `transition` is the
 * only function that decides whether a status may change (the book's evolve is its only caller
 * that writes a status), and an invalid transition is an error naming both states.
 *
 *   draft -> proposed -> approved -> executing -> complete
 *   proposed -> blocked (policy BLOCK, a human rejection, an expired timebox)
 *   approved -> blocked (a risk rule re-checked at execution time refuses it)
 *   executing -> aborted (the module failed)
 *   blocked -> proposed (retry)
 */
import type { CanonicalValue } from '../canonical/index.js';

export const DIRECTIVE_STATUSES = ['draft', 'proposed', 'approved', 'executing', 'complete', 'blocked', 'aborted'] as const;
export type DirectiveStatus = (typeof DIRECTIVE_STATUSES)[number];

export const DIRECTIVE_TYPES = [
  'order.open', 'order.close', 'order.reduce', 'risk.profile.change', 'risk.tier.reset', 'skill.activate', 'skill.deactivate',
  'book.pause', 'book.resume', 'book.flatten', 'epoch.auto.enable', 'policy.change', 'module.run',
  // the skill lifecycle (./skill-lifecycle.ts) beyond activate/deactivate
  'skill.deprecate', 'skill.remove',
] as const;
export type DirectiveType = (typeof DIRECTIVE_TYPES)[number];

/** The types an operator may propose through the inbox (orders come from skills; an operator flattens with book.flatten). */
export const OPERATOR_DIRECTIVE_TYPES: readonly DirectiveType[] = DIRECTIVE_TYPES.filter((t) => !t.startsWith('order.'));

const NEXT: Readonly<Record<DirectiveStatus, readonly DirectiveStatus[]>> = {
  draft: ['proposed'],
  proposed: ['approved', 'blocked'],
  approved: ['executing', 'blocked'],
  executing: ['complete', 'aborted'],
  blocked: ['proposed'],
  complete: [],
  aborted: [],
};

export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
}

export function nextStatuses(from: DirectiveStatus): readonly DirectiveStatus[] {
  return NEXT[from];
}

export function isTerminal(s: DirectiveStatus): boolean {
  return NEXT[s].length === 0;
}

/** The one status check: returns `to` when from -> to is a lifecycle edge, else throws naming both. */
export function transition(directiveId: string, from: DirectiveStatus, to: DirectiveStatus): DirectiveStatus {
  if (!NEXT[from].includes(to)) {
    const allowed = NEXT[from].length === 0 ? 'none: it is final' : NEXT[from].join(', ');
    throw new LifecycleError(`directive ${directiveId}: ${from} -> ${to} is not a lifecycle transition (from ${from}: ${allowed})`);
  }
  return to;
}

/** Who issued a directive: "skill:<id>@<v>", "operator:<name>", "analyst:<name>", "policy", "engine". */
export const ISSUER_RE = /^(skill|operator|analyst):[a-z0-9][a-z0-9_.@-]{0,63}$/;
export const OPERATOR_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** A directive as proposed (the body of directive.proposed); its status lives beside it. */
export interface Directive {
  readonly directive_id: string;
  readonly issued_by: string;
  /** The plane it targets: "paper_execution" for orders, "book_control" for the book's own settings, "drill" for module.run. */
  readonly role: string;
  readonly type: DirectiveType;
  readonly objective: string;
  readonly scope: { readonly book: string; readonly symbols: readonly string[] };
  readonly constraints: CanonicalValue;
  readonly success_metrics: CanonicalValue;
  /** Notional the directive may commit (quote currency, decimal text); null when it commits none. */
  readonly budget: { readonly notional_max: string | null };
  /** Event time after which an unapproved directive expires (blocked: timebox_expired); null = no timebox. */
  readonly timebox: { readonly expires_ms: number | null };
  readonly payload: CanonicalValue;
  readonly idempotency_key: string;
  /** The execution module that carries it out (./modules.ts). */
  readonly module: string;
  /** Where it came from: the skill, its params, the signal and a hash of its inputs; or the inbox row. */
  readonly provenance: CanonicalValue;
}

export function roleOf(type: DirectiveType): string {
  if (type.startsWith('order.')) return 'paper_execution';
  if (type === 'module.run') return 'drill';
  return 'book_control';
}
