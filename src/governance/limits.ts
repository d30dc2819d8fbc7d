/**
 * The governance vocabulary the operator side needs (statuses, transitions, directive types,
 * event types, input limits), alone in a module without imports so `warden directives --help`
 * can name them without loading the store, zod or the kernel. The kernel (src/core/governance)
 * is the writer of these events; this is the reader's copy of the contract
 * (prompts: governance-contract.md), checked against every event the read model folds.
 */

export const DIRECTIVE_STATUSES = ['draft', 'proposed', 'approved', 'executing', 'complete', 'blocked', 'aborted'] as const;
export type DirectiveStatus = (typeof DIRECTIVE_STATUSES)[number];

/** The only status changes there are (from -> to). */
export const DIRECTIVE_TRANSITIONS: readonly (readonly [DirectiveStatus, DirectiveStatus])[] = [
  ['draft', 'proposed'], ['proposed', 'approved'], ['approved', 'executing'], ['executing', 'complete'],
  ['proposed', 'blocked'], ['approved', 'blocked'], ['executing', 'aborted'], ['blocked', 'proposed'],
];

/** A skill's lifecycle in a book (core/governance/skill-lifecycle.ts): its states and the only changes there are. */
export const SKILL_STATES = ['REGISTERED', 'ACTIVE', 'DEPRECATED', 'REMOVED', 'QUARANTINED'] as const;
export type SkillState = (typeof SKILL_STATES)[number];
export const SKILL_TRANSITIONS: readonly (readonly [SkillState, SkillState])[] = [
  ['REGISTERED', 'ACTIVE'], ['ACTIVE', 'REGISTERED'], ['ACTIVE', 'DEPRECATED'], ['ACTIVE', 'QUARANTINED'],
  ['DEPRECATED', 'REMOVED'], ['DEPRECATED', 'QUARANTINED'], ['QUARANTINED', 'ACTIVE'], ['QUARANTINED', 'REMOVED'],
];

export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'canceled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const DIRECTIVE_TYPES = [
  'order.open', 'order.close', 'order.reduce', 'risk.profile.change', 'risk.tier.reset', 'skill.activate', 'skill.deactivate',
  'book.pause', 'book.resume', 'book.flatten', 'epoch.auto.enable', 'policy.change', 'module.run',
  'skill.deprecate', 'skill.remove',
] as const;
export type DirectiveType = (typeof DIRECTIVE_TYPES)[number];

/** What an operator may propose: every type but orders (orders come from skills; an operator flattens). */
export const OPERATOR_DIRECTIVE_TYPES: readonly DirectiveType[] = DIRECTIVE_TYPES.filter((t) => !t.startsWith('order.'));

export const VERDICTS = ['ALLOW', 'BLOCK', 'NEEDS_APPROVAL'] as const;

/** The event types the directives read model folds (read with EventStore.readTypes, nothing else). */
export const GOVERNANCE_EVENT_TYPES = ['directive.proposed', 'policy.evaluated', 'directive.status_changed', 'execution.status_changed', 'policy.changed'] as const;
/** The events that answer an inbox command, and the one that opens every step. */
export const ANSWER_EVENT_TYPES = ['operator.command_applied', 'operator.command_rejected'] as const;

/** The inbox commands of the operator side. */
export const DIRECTIVE_COMMANDS = ['directive.approve', 'directive.reject', 'directive.propose', 'directive.retry'] as const;

/** `--as NAME`: the operator's name, recorded as issued_by "operator:NAME". */
export const OPERATOR_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** A directive id as the kernel assigns it: "D" and a positive integer. */
export const DIRECTIVE_ID_RE = /^D[1-9][0-9]{0,15}$/;
/** A note, a rejection reason or an objective, in characters (as a book command's reason). */
export const TEXT_CHARS_MAX = 500;
/** --timebox-bars bounds. */
export const TIMEBOX_BARS_MAX = 10_000;
/** Symbols one proposal may name. */
export const SYMBOLS_MAX = 64;
/** A --payload / --payload-file, in bytes. */
export const PAYLOAD_BYTES_MAX = 64 * 1024;
/** How long approve/reject/propose wait for the running runtime's answer by default. */
export const WAIT_MS_DEFAULT = 10_000;
export const WAIT_MS_MAX = 600_000;
/** Directives `list` prints at most by default (the newest; --limit changes it). */
export const LIST_LIMIT_DEFAULT = 200;
export const LIST_LIMIT_MAX = 100_000;
