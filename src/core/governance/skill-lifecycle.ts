/**
 * A skill's standing in a book, and the one check of its changes. Why here: a skill's lifecycle is
 * a governance decision (every move is a directive, except the engine's quarantine), and the
 * book's evolve must refuse a recorded change that is not a lifecycle edge, exactly as it does for
 * directives (./directive.ts).
 *
 *   REGISTERED -> ACTIVE        skill.activate   (approval required by the default policy)
 *   ACTIVE -> REGISTERED        skill.deactivate (it stops running; activate brings it back)
 *   ACTIVE -> DEPRECATED        skill.deprecate  (it still runs, may close and reduce, opens nothing new)
 *   DEPRECATED -> REMOVED       skill.remove     (terminal: it never runs again in this book)
 *   ACTIVE | DEPRECATED -> QUARANTINED   the engine, when the skill emits what it did not declare
 *   QUARANTINED -> ACTIVE       skill.activate   (a named human reinstates it)
 *   QUARANTINED -> REMOVED      skill.remove
 *
 * A skill configured in a book starts ACTIVE (no event: a book that never changes a skill writes
 * nothing about it). QUARANTINED is not a step of the lifecycle but a stop beside it: the skill
 * does not run, and only a directive takes it out.
 */

export const SKILL_STATES = ['REGISTERED', 'ACTIVE', 'DEPRECATED', 'REMOVED', 'QUARANTINED'] as const;
export type SkillState = (typeof SKILL_STATES)[number];

const NEXT: Readonly<Record<SkillState, readonly SkillState[]>> = {
  REGISTERED: ['ACTIVE'],
  ACTIVE: ['REGISTERED', 'DEPRECATED', 'QUARANTINED'],
  DEPRECATED: ['REMOVED', 'QUARANTINED'],
  REMOVED: [],
  QUARANTINED: ['ACTIVE', 'REMOVED'],
};

/** The skill directives and the state each one moves a skill to. */
export const SKILL_DIRECTIVE_TARGETS = {
  'skill.activate': 'ACTIVE',
  'skill.deactivate': 'REGISTERED',
  'skill.deprecate': 'DEPRECATED',
  'skill.remove': 'REMOVED',
} as const satisfies Readonly<Record<string, SkillState>>;
export type SkillDirectiveType = keyof typeof SKILL_DIRECTIVE_TARGETS;

export class SkillLifecycleError extends Error {
  override readonly name = 'SkillLifecycleError';
}

export function skillNextStates(from: SkillState): readonly SkillState[] {
  return NEXT[from];
}

/** Whether the skill runs its task at a tick (DEPRECATED runs, limited to closing and reducing). */
export function skillRuns(s: SkillState): boolean {
  return s === 'ACTIVE' || s === 'DEPRECATED';
}

/** The one check of a skill's state change: returns `to` when from -> to is an edge, else throws naming both. */
export function skillTransition(skill: string, from: SkillState, to: SkillState): SkillState {
  if (!NEXT[from].includes(to)) {
    const allowed = NEXT[from].length === 0 ? 'none: it is final' : NEXT[from].join(', ');
    throw new SkillLifecycleError(`skill ${skill}: ${from} -> ${to} is not a lifecycle transition (from ${from}: ${allowed})`);
  }
  return to;
}
