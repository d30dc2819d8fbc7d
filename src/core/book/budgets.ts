/**
 * Per-task budgets of the tick harness, in work units. The kernel has no clock, so a budget
 * cannot be wall time: it is an honest count of the work a task does, the same on every replay.
 *   bars_read           skill:<key>:<symbol>    bars handed to the skill (its window: min(history, warm-up))
 *   signals             skill:<key>:<symbol>    signals handled (each one a directive and a policy evaluation)
 *   fills               fill_orders             working orders matched against a bar (fill simulations)
 *   policy_evaluations  reevaluate_directives   retried directives judged again by the policy
 * A task that would exceed its budget stops at that point and is FAILED `budget_exceeded:<unit>`;
 * the tick ends DEGRADED. fill_orders is critical: when it stops, the orders it did not reach keep
 * working (they try again at the next bar) and every skill task of the tick is SKIPPED (`critical
 * task fill_orders failed`: no skill decides on a book whose fills are incomplete). The defaults are
 * the structural caps the kernel already had, so a book without `harness.budgets` never hits one
 * the caps would not. Configured per book: `harness.budgets` {bars_read_max, signals_max,
 * fills_max, policy_evaluations_max}, each an integer 1..its ceiling.
 */
import { z } from '../zod.js';

export const BUDGET_UNITS = ['bars_read', 'signals', 'fills', 'policy_evaluations'] as const;
export type BudgetUnit = (typeof BUDGET_UNITS)[number];

/** The ceilings a book may configure (and the defaults): history kept, signals per skill tick, working orders, waiting directives. */
export const BARS_READ_BUDGET_MAX = 5_000;
export const SIGNALS_BUDGET_MAX = 8;
export const FILLS_BUDGET_MAX = 1_000;
export const POLICY_EVALUATIONS_BUDGET_MAX = 256;

export interface TaskBudgets {
  readonly bars_read_max: number;
  readonly signals_max: number;
  readonly fills_max: number;
  readonly policy_evaluations_max: number;
}

export const DEFAULT_BUDGETS: TaskBudgets = {
  bars_read_max: BARS_READ_BUDGET_MAX, signals_max: SIGNALS_BUDGET_MAX, fills_max: FILLS_BUDGET_MAX, policy_evaluations_max: POLICY_EVALUATIONS_BUDGET_MAX,
};

const n = (max: number) => z.number().int().min(1).max(max).optional();

/** `harness` in the book config: optional, no defaults filled in (a book without it keeps its config hash). */
export const harnessConfigSchema = z.strictObject({
  budgets: z.strictObject({
    bars_read_max: n(BARS_READ_BUDGET_MAX),
    signals_max: n(SIGNALS_BUDGET_MAX),
    fills_max: n(FILLS_BUDGET_MAX),
    policy_evaluations_max: n(POLICY_EVALUATIONS_BUDGET_MAX),
  }).optional(),
}).optional();

export function resolveBudgets(h: z.output<typeof harnessConfigSchema>): TaskBudgets {
  const b = h?.budgets;
  return {
    bars_read_max: b?.bars_read_max ?? DEFAULT_BUDGETS.bars_read_max,
    signals_max: b?.signals_max ?? DEFAULT_BUDGETS.signals_max,
    fills_max: b?.fills_max ?? DEFAULT_BUDGETS.fills_max,
    policy_evaluations_max: b?.policy_evaluations_max ?? DEFAULT_BUDGETS.policy_evaluations_max,
  };
}

export const budgetExceeded = (unit: BudgetUnit): string => `budget_exceeded:${unit}`;
