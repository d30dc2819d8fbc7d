/**
 * Execution modules: the only things that act, and only for an approved directive. The registry
 * maps a name to a module that declares its side effects; the book hands a module an Effects
 * object whose calls are checked against that declaration (an undeclared effect is an ERROR, and
 * nothing of it happens). Outcomes map to execution-run statuses as seed 003 says: SUCCESS ->
 * completed, FAILURE and ERROR -> failed (the directive is then aborted).
 *
 * Idempotency: a module runs inside the book step that approved the directive (one transaction);
 * a crash before the commit leaves nothing, and a restart re-applies the same input to the same
 * state, so a re-run can never place a second order. The idempotency key is recorded with the run.
 * Budget: a module never commits more notional than the directive's budget.notional_max.
 */
import type { CanonicalValue } from '../canonical/index.js';
import type { SkillState } from './skill-lifecycle.js';

export const MODULE_NAMES = ['paper.order', 'book.control', 'noop', 'echo', 'fail_intentionally'] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

export const EFFECTS = ['order.place', 'book.status', 'risk.tier', 'risk.profile', 'policy', 'skills', 'epoch'] as const;
export type EffectName = (typeof EFFECTS)[number];

export type ModuleStatus = 'SUCCESS' | 'FAILURE' | 'ERROR';
export interface ModuleOutput {
  readonly status: ModuleStatus;
  readonly detail: string;
}

/** What the book lets a module do. Each call returns null when done, or why it could not be done. */
export interface Effects {
  placeOrder(): string | null;
  setStatus(to: 'PAUSED' | 'ACTIVE'): string | null;
  flatten(): string | null;
  resetTier(): string | null;
  changeProfile(): string | null;
  changePolicy(): string | null;
  /** Moves a skill to a lifecycle state (./skill-lifecycle.ts checks the edge). */
  setSkillState(to: SkillState): string | null;
  enableEpochAuto(): string | null;
}

const EFFECT_OF: Readonly<Record<keyof Effects, EffectName>> = {
  placeOrder: 'order.place', setStatus: 'book.status', flatten: 'order.place', resetTier: 'risk.tier', changeProfile: 'risk.profile',
  changePolicy: 'policy', setSkillState: 'skills', enableEpochAuto: 'epoch',
};

export interface ModuleInput {
  readonly directive_id: string;
  readonly type: string;
  readonly payload: CanonicalValue;
  readonly idempotency_key: string;
}

export interface ExecutionModule {
  readonly name: ModuleName;
  readonly side_effects: readonly EffectName[];
  run(input: ModuleInput, fx: Effects): ModuleOutput;
}

const done = (why: string | null, ok: string): ModuleOutput => (why === null ? { status: 'SUCCESS', detail: ok } : { status: 'FAILURE', detail: why });

const paperOrder: ExecutionModule = {
  name: 'paper.order', side_effects: ['order.place'],
  run: (_i, fx) => done(fx.placeOrder(), 'order placed on the paper plane'),
};

const bookControl: ExecutionModule = {
  name: 'book.control', side_effects: ['book.status', 'order.place', 'risk.tier', 'risk.profile', 'policy', 'skills', 'epoch'],
  run(i, fx) {
    switch (i.type) {
      case 'book.pause': return done(fx.setStatus('PAUSED'), 'book paused');
      case 'book.resume': return done(fx.setStatus('ACTIVE'), 'book resumed');
      case 'book.flatten': return done(fx.flatten(), 'flatten orders placed');
      case 'risk.tier.reset': return done(fx.resetTier(), 'drawdown peak reset to the current equity');
      case 'risk.profile.change': return done(fx.changeProfile(), 'risk profile changed');
      case 'policy.change': return done(fx.changePolicy(), 'policy changed');
      case 'skill.activate': return done(fx.setSkillState('ACTIVE'), 'skill active');
      case 'skill.deactivate': return done(fx.setSkillState('REGISTERED'), 'skill deactivated (registered, not running)');
      case 'skill.deprecate': return done(fx.setSkillState('DEPRECATED'), 'skill deprecated (closes and reduces only)');
      case 'skill.remove': return done(fx.setSkillState('REMOVED'), 'skill removed');
      case 'epoch.auto.enable': return done(fx.enableEpochAuto(), 'automatic epoch advancement enabled');
      default: return { status: 'ERROR', detail: `book.control does not carry out ${i.type}` };
    }
  },
};

const noop: ExecutionModule = { name: 'noop', side_effects: [], run: () => ({ status: 'SUCCESS', detail: 'nothing done' }) };

const echo: ExecutionModule = {
  name: 'echo', side_effects: [],
  run: (i) => ({ status: 'SUCCESS', detail: `echo ${JSON.stringify(i.payload)}`.slice(0, 500) }),
};

/** A drill: payload {mode: "failure" | "error"} (default failure). */
const failIntentionally: ExecutionModule = {
  name: 'fail_intentionally', side_effects: [],
  run(i) {
    const mode = (i.payload as { mode?: unknown } | null)?.mode;
    return mode === 'error' ? { status: 'ERROR', detail: 'fail_intentionally: error as asked' } : { status: 'FAILURE', detail: 'fail_intentionally: failure as asked' };
  },
};

export const MODULES: ReadonlyMap<ModuleName, ExecutionModule> = new Map([paperOrder, bookControl, noop, echo, failIntentionally].map((m) => [m.name, m]));

/** The module a directive type runs by default (module.run names its own in payload.module). */
export function moduleFor(type: string): ModuleName {
  if (type.startsWith('order.')) return 'paper.order';
  return 'book.control';
}

/**
 * A module's view of the book's effects: each call goes through only if the module declared its
 * effect, else it is refused and remembered (the run is then an ERROR). One object per run, its
 * methods on the prototype (not eight closures built per directive: this runs for every signal).
 */
class GuardedEffects implements Effects {
  undeclared: EffectName | null = null;
  constructor(private readonly declared: readonly EffectName[], private readonly fx: Effects) {}
  private refused(k: keyof Effects): string | null {
    const effect = EFFECT_OF[k];
    if (this.declared.includes(effect)) return null;
    this.undeclared ??= effect;
    return `undeclared side effect ${effect}`;
  }
  placeOrder(): string | null {
    return this.refused('placeOrder') ?? this.fx.placeOrder();
  }
  setStatus(to: 'PAUSED' | 'ACTIVE'): string | null {
    return this.refused('setStatus') ?? this.fx.setStatus(to);
  }
  flatten(): string | null {
    return this.refused('flatten') ?? this.fx.flatten();
  }
  resetTier(): string | null {
    return this.refused('resetTier') ?? this.fx.resetTier();
  }
  changeProfile(): string | null {
    return this.refused('changeProfile') ?? this.fx.changeProfile();
  }
  changePolicy(): string | null {
    return this.refused('changePolicy') ?? this.fx.changePolicy();
  }
  setSkillState(to: SkillState): string | null {
    return this.refused('setSkillState') ?? this.fx.setSkillState(to);
  }
  enableEpochAuto(): string | null {
    return this.refused('enableEpochAuto') ?? this.fx.enableEpochAuto();
  }
}

/** The effects `fx` as a module that declared `declared` may use them (`undeclared`: the first refused). */
export function guardEffects(declared: readonly EffectName[], fx: Effects): Effects & { readonly undeclared: EffectName | null } {
  return new GuardedEffects(declared, fx);
}

/** Runs a module with its effects limited to what it declared. */
export function runModule(name: ModuleName, input: ModuleInput, fx: Effects): ModuleOutput {
  const m = MODULES.get(name);
  if (m === undefined) return { status: 'ERROR', detail: `no module ${name}` };
  const guarded = guardEffects(m.side_effects, fx);
  const out = m.run(input, guarded);
  if (guarded.undeclared !== null) return { status: 'ERROR', detail: `module ${name} attempted the undeclared side effect ${guarded.undeclared}` };
  return out;
}
