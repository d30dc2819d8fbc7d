/**
 * The skill registry as governance reads it: for every built-in skill (./index.ts BUILTIN_SKILLS)
 * its declaration — id, version, the harness task types it runs as, its inputs, its permissions
 * (the directive types its outputs may propose) and its side effects. The harness enforces the
 * declaration each tick (core/book/tick.ts: an output outside it quarantines the skill); a skill's
 * standing per book is its lifecycle (core/governance/skill-lifecycle.ts).
 */
import type { DirectiveType } from '../governance/directive.js';
import { BUILTIN_SKILLS } from './index.js';
import type { SignalAction, Skill } from './types.js';

/** The directive type a signal action proposes (enter/add open or add to a position; reduce and exit sell). */
export const DIRECTIVE_OF_ACTION: Readonly<Record<SignalAction, DirectiveType>> = {
  enter: 'order.open', add: 'order.open', reduce: 'order.reduce', exit: 'order.close',
};

/** The harness task a skill runs as: one per bound symbol per tick, `skill:<id>@<v>:<symbol>`. */
export const SKILL_TASK_TYPES = ['skill.evaluate'] as const;
/** What a skill may cause: directives it proposes (through the policy gate) and its own memory (skill.memory_set). Nothing else: it is a pure function. */
export const SKILL_SIDE_EFFECTS = ['directive.propose', 'skill.memory'] as const;

export interface SkillDeclaration {
  readonly key: string;
  readonly id: string;
  readonly version: string;
  readonly description: string;
  readonly task_types: readonly string[];
  readonly inputs: { readonly timeframes_s: readonly number[] | null; readonly indicators: readonly string[]; readonly bars: 'closed bars up to T, the warm-up window' };
  readonly outputs: readonly SignalAction[];
  readonly permissions: readonly DirectiveType[];
  readonly side_effects: readonly string[];
}

export function declarationOf(key: string, s: Skill<never>): SkillDeclaration {
  const permissions = [...new Set(s.outputs.map((a) => DIRECTIVE_OF_ACTION[a]))].sort();
  return {
    key, id: s.id, version: s.version, description: s.description, task_types: [...SKILL_TASK_TYPES],
    inputs: { timeframes_s: s.inputs.timeframes_s, indicators: s.inputs.indicators, bars: 'closed bars up to T, the warm-up window' },
    outputs: s.outputs, permissions, side_effects: [...SKILL_SIDE_EFFECTS],
  };
}

/** Every registered skill's declaration, by key ("sma-cross@1"), sorted. */
export function skillRegistry(): readonly SkillDeclaration[] {
  return Object.keys(BUILTIN_SKILLS).sort().map((k) => declarationOf(k, BUILTIN_SKILLS[k] as Skill<never>));
}
