/**
 * Risk profiles: versioned, with governed defaults; a book names a profile and may override any
 * field (the override is part of the book's config, hence of its hash). Changing a profile is a
 * governance act (a later issue routes it through approval); here it is plain data.
 * Percentages are decimal strings in percent (e.g. "10" = 10 %).
 */
import { z } from '../zod.js';
import { Decimal } from '../money/decimal.js';

export const TIERS = ['normal', 'reduced', 'reducing_only', 'halted'] as const;
export type Tier = (typeof TIERS)[number];

export interface RiskProfile {
  readonly id: string;
  readonly version: number;
  /** Max value of one asset (held + pending buys) as % of equity. */
  readonly asset_exposure_pct_max: Decimal;
  /** Max value of all assets (held + pending buys) as % of equity. 100 = fully invested, never more (spot). */
  readonly total_exposure_pct_max: Decimal;
  readonly open_positions_max: number;
  /** Drawdown from the equity peak (%) at which each tier starts. */
  readonly reduced_at_drawdown_pct: Decimal;
  readonly reducing_only_at_drawdown_pct: Decimal;
  readonly halted_at_drawdown_pct: Decimal;
  /** Buy quantities are multiplied by this in the reduced tier. */
  readonly reduced_size_factor: Decimal;
  /** A closed trade losing at least this % of equity starts a cooldown of cooldown_bars (no new buys). */
  readonly severe_loss_pct: Decimal;
  readonly cooldown_bars: number;
}

export const DEFAULT_RISK_PROFILE: RiskProfile = {
  id: 'default',
  version: 1,
  asset_exposure_pct_max: Decimal.parse('50'),
  total_exposure_pct_max: Decimal.parse('100'),
  open_positions_max: 5,
  reduced_at_drawdown_pct: Decimal.parse('10'),
  reducing_only_at_drawdown_pct: Decimal.parse('20'),
  halted_at_drawdown_pct: Decimal.parse('30'),
  reduced_size_factor: Decimal.parse('0.5'),
  severe_loss_pct: Decimal.parse('3'),
  cooldown_bars: 24,
};

export const RISK_PROFILES: Readonly<Record<string, RiskProfile>> = { 'default@1': DEFAULT_RISK_PROFILE };

const pct = z.string().regex(/^(0|[1-9][0-9]{0,2})(\.[0-9]{1,6})?$/, 'a percent like "12.5"').refine((s) => Number(s) <= 100, 'at most 100');
const factor = z.string().regex(/^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$/, 'a factor in 0..1');

export const riskOverridesSchema = z.strictObject({
  asset_exposure_pct_max: pct.optional(),
  total_exposure_pct_max: pct.optional(),
  open_positions_max: z.number().int().min(1).max(1000).optional(),
  reduced_at_drawdown_pct: pct.optional(),
  reducing_only_at_drawdown_pct: pct.optional(),
  halted_at_drawdown_pct: pct.optional(),
  reduced_size_factor: factor.optional(),
  severe_loss_pct: pct.optional(),
  cooldown_bars: z.number().int().min(0).max(100_000).optional(),
});
export type RiskOverrides = z.infer<typeof riskOverridesSchema>;

export class RiskProfileError extends Error {
  override readonly name = 'RiskProfileError';
}

/** The named profile with overrides applied; checks the tier thresholds are ordered. */
export function resolveRiskProfile(name: string, overrides: RiskOverrides = {}): RiskProfile {
  const base = Object.hasOwn(RISK_PROFILES, name) ? RISK_PROFILES[name] : undefined; // a user-given name: never an Object.prototype member
  if (base === undefined) throw new RiskProfileError(`unknown risk profile ${JSON.stringify(name)} (known: ${Object.keys(RISK_PROFILES).join(', ')})`);
  const d = (v: string | undefined, dflt: Decimal) => (v === undefined ? dflt : Decimal.parse(v));
  const p: RiskProfile = {
    ...base,
    asset_exposure_pct_max: d(overrides.asset_exposure_pct_max, base.asset_exposure_pct_max),
    total_exposure_pct_max: d(overrides.total_exposure_pct_max, base.total_exposure_pct_max),
    open_positions_max: overrides.open_positions_max ?? base.open_positions_max,
    reduced_at_drawdown_pct: d(overrides.reduced_at_drawdown_pct, base.reduced_at_drawdown_pct),
    reducing_only_at_drawdown_pct: d(overrides.reducing_only_at_drawdown_pct, base.reducing_only_at_drawdown_pct),
    halted_at_drawdown_pct: d(overrides.halted_at_drawdown_pct, base.halted_at_drawdown_pct),
    reduced_size_factor: d(overrides.reduced_size_factor, base.reduced_size_factor),
    severe_loss_pct: d(overrides.severe_loss_pct, base.severe_loss_pct),
    cooldown_bars: overrides.cooldown_bars ?? base.cooldown_bars,
  };
  if (!(p.reduced_at_drawdown_pct.lte(p.reducing_only_at_drawdown_pct) && p.reducing_only_at_drawdown_pct.lte(p.halted_at_drawdown_pct))) {
    throw new RiskProfileError('drawdown tiers must be ordered: reduced <= reducing_only <= halted');
  }
  return p;
}

/** The tier for a drawdown (percent from the peak). */
export function tierFor(p: RiskProfile, drawdownPct: Decimal): Tier {
  if (drawdownPct.gte(p.halted_at_drawdown_pct)) return 'halted';
  if (drawdownPct.gte(p.reducing_only_at_drawdown_pct)) return 'reducing_only';
  if (drawdownPct.gte(p.reduced_at_drawdown_pct)) return 'reduced';
  return 'normal';
}

export function profileRef(p: RiskProfile): string {
  return `${p.id}@${p.version}`;
}
