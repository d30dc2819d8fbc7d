/**
 * The book config (zod): data (symbols, timeframe, source), skills with parameters, sizing,
 * risk profile (any field overridable), fee schedule, slippage and participation, pair facts,
 * initial cash. Plain JSON in, a ResolvedBook out (decimals parsed, skills and profile looked
 * up, parameters validated by each skill's own schema). Amounts are decimal strings, never floats.
 * The config hash (sha256 of the canonical parsed config) goes into `book.started`.
 */
import { z } from '../zod.js';
import { canonicalBytes, type CanonicalValue } from '../canonical/index.js';
import { numText } from '../indicators/index.js';
import { sha256, toHex } from '../canonical/hash.js';
import { Decimal } from '../money/decimal.js';
import { DEFAULT_FEE_SCHEDULE_ID, FEE_TABLES, feeScheduleAt, type FeeSchedule } from '../execution/fees.js';
import { DEFAULT_PAIRS, type PairSpec } from '../execution/pairs.js';
import type { ExecutionModel } from '../execution/fills.js';
import { resolveRiskProfile, riskGate, riskOverridesSchema, type IntentGate, type RiskProfile } from '../risk/index.js';
import type { SizingConfig } from '../sizing/index.js';
import { BUILTIN_SKILLS, type Skill } from '../skills/index.js';
import { DEFAULT_POLICY, resolvePolicy, type ResolvedPolicy } from '../governance/index.js';
import { harnessConfigSchema, resolveBudgets, type TaskBudgets } from './budgets.js';

// abort: a string that fails the format never reaches the refinements below (they parse it).
const dec = z.string().regex(/^(0|[1-9][0-9]{0,15})(\.[0-9]{1,12})?$/, { message: 'a non-negative decimal string like "10000" or "0.5"', abort: true });
const positiveDec = dec.refine((s) => Decimal.parse(s).isPositive(), 'must be > 0');
const symbol = z.string().regex(/^[A-Z0-9]{2,10}\/[A-Z0-9]{2,10}$/, 'a symbol like "BTC/USD"');

/** Limits on a book. */
export const BOOK_SYMBOLS_MAX = 50;
export const BOOK_SKILLS_MAX = 20;
export const HISTORY_BARS_MAX = 5_000;
/** Fee precision a book may ask for: enough that cost (price decimals + lot decimals) x a fee percent is exact. */
export const FEE_DECIMALS_MAX = 24;
/** The longest a runtime tick may wait for a late symbol (data.lateness_ms): 30 days. */
export const LATENESS_MS_MAX = 30 * 86_400_000;
/** Truth-epoch modes a book config may ask for (governance.truth_epochs); absent = "off". */
export const TRUTH_EPOCH_MODES = ['manual'] as const;

const sizingSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('fixed_qty'), qty: positiveDec }),
  z.strictObject({ mode: z.literal('fixed_notional'), notional: positiveDec }),
  z.strictObject({ mode: z.literal('pct_equity'), pct: positiveDec.refine((s) => Number(s) <= 100, 'at most 100') }),
  z.strictObject({ mode: z.literal('vol_target'), risk_pct: positiveDec, atr_mult: positiveDec, pct_equity_max: positiveDec.default('100') }),
]);

export const bookConfigSchema = z.strictObject({
  book_id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/),
  data: z.strictObject({
    symbols: z.array(symbol).min(1).max(BOOK_SYMBOLS_MAX),
    timeframe_s: z.number().int().min(60).max(7 * 86_400),
    /** Where the CLI reads candles (the engine itself takes candles): Kraken OHLCVT CSV files, or the store. */
    source: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('kraken_ohlcvt_csv'), paths: z.record(symbol, z.string().min(1)) }),
      z.strictObject({ kind: z.literal('store') }),
    ]).optional(),
    /**
     * How long a runtime tick waits for a symbol's candle before it runs without it (DEGRADED, the
     * symbol SKIPPED as late). Absent: one bar interval (timeframe_s * 1000); null: wait forever.
     * Only the paper runtime waits; a backtest's sources are finite and complete.
     */
    lateness_ms: z.number().int().min(0).max(LATENESS_MS_MAX).nullable().optional(),
  }),
  skills: z.array(z.strictObject({
    skill: z.string(),
    version: z.string().default('1'),
    symbols: z.array(symbol).min(1).max(BOOK_SYMBOLS_MAX),
    params: z.record(z.string(), z.unknown()).default({}),
  })).min(1).max(BOOK_SKILLS_MAX),
  sizing: sizingSchema,
  risk: z.strictObject({ profile: z.string().default('default@1'), overrides: riskOverridesSchema.default({}) }).default({ profile: 'default@1', overrides: {} }),
  fees: z.strictObject({
    schedule: z.string().default(DEFAULT_FEE_SCHEDULE_ID),
    /** 30-day traded volume (USD) that selects the tier; 0 = the lowest tier. */
    volume_30d: dec.default('0'),
    maker_pct: dec.refine((x) => Number(x) <= 5, 'at most 5 (%)').optional(),
    taker_pct: dec.refine((x) => Number(x) <= 5, 'at most 5 (%)').optional(),
  }).default({ schedule: DEFAULT_FEE_SCHEDULE_ID, volume_30d: '0' }),
  execution: z.strictObject({
    slippage_bps: dec.default('5'),
    impact_bps_per_volume_pct: dec.default('0'),
    /** Percent of a bar's volume one order may take per bar (0 < x <= 100); null = no volume cap. */
    participation_pct_max: positiveDec.nullable().default('10'),
    market_expire_bars: z.number().int().min(1).max(1000).default(3),
  }).default({ slippage_bps: '5', impact_bps_per_volume_pct: '0', participation_pct_max: '10', market_expire_bars: 3 }),
  pairs: z.record(symbol, z.strictObject({
    pair_decimals: z.number().int().min(0).max(12),
    lot_decimals: z.number().int().min(0).max(12),
    ordermin: dec.nullable(),
    costmin: dec.nullable(),
    /** Up to FEE_DECIMALS_MAX so a reference book can keep fees unrounded (price x lot x pct has ~17 digits). */
    fee_decimals: z.number().int().min(0).max(FEE_DECIMALS_MAX),
  })).default({}),
  initial_cash: positiveDec,
  /** The governance policy (core/governance/policy.ts); absent = DEFAULT_POLICY. Checked by resolvePolicy, naming the field. */
  governance: z.strictObject({
    policy: z.unknown(),
    /** "manual": the runtime evaluates a tick only up to the truth epoch TE, which advances through its gate (infra/TRUTH_EPOCHS.md); absent: epochs off. */
    truth_epochs: z.enum(TRUTH_EPOCH_MODES).optional(),
  }).optional(),
  /** Per-task budgets of the harness in work units (./budgets.ts); absent = the structural caps. */
  harness: harnessConfigSchema,
});
export type BookConfigInput = z.input<typeof bookConfigSchema>;
export type BookConfig = z.output<typeof bookConfigSchema>;

export interface SkillBinding {
  readonly key: string; // "sma-cross@1"
  readonly skill: Skill<unknown>;
  readonly params: unknown;
  readonly params_json: { readonly [k: string]: string | number | boolean };
  readonly symbols: readonly string[];
  readonly warmup_bars: number;
}

export interface ResolvedBook {
  readonly config: BookConfig;
  /** The parsed config (defaults filled in) as canonical JSON: recorded in book.started; its hash is config_hash. */
  readonly config_json: CanonicalValue;
  readonly config_hash: string;
  readonly symbols: readonly string[];
  readonly interval_s: number;
  readonly skills: readonly SkillBinding[];
  readonly sizing: SizingConfig;
  readonly profile: RiskProfile;
  readonly gates: readonly IntentGate[];
  readonly fees: FeeSchedule;
  readonly execution: ExecutionModel & { readonly market_expire_bars: number };
  readonly pairs: Readonly<Record<string, PairSpec>>;
  readonly initial_cash: Decimal;
  /** Bars of history kept per symbol: the largest warm-up of its skills, plus one. */
  readonly window_bars: Readonly<Record<string, number>>;
  /** The policy the book starts with (recorded as policy.changed at its first tick). */
  readonly policy: ResolvedPolicy;
  /** The harness's per-task budgets in work units (./budgets.ts). */
  readonly budgets: TaskBudgets;
  /** data.lateness_ms resolved: the default is one bar interval; null = wait forever. */
  readonly lateness_ms: number | null;
  /** governance.truth_epochs: "off" (ticks follow complete data) or "manual" (ticks wait for TE; auto after an approved epoch.auto.enable). */
  readonly truth_epochs: 'off' | 'manual';
}

export class BookConfigError extends Error {
  override readonly name = 'BookConfigError';
}

/** A JSON value with every non-integer number rendered as text (canonical JSON takes safe integers only). */
export function jsonSafe(v: unknown): CanonicalValue {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : numText(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, CanonicalValue> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = jsonSafe(x);
    return o;
  }
  return v as CanonicalValue;
}

function zodMessage(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

export function resolveBook(input: unknown): ResolvedBook {
  const parsed = bookConfigSchema.safeParse(input);
  if (!parsed.success) throw new BookConfigError(`book config: ${zodMessage(parsed.error)}`);
  const config = parsed.data;
  const symbols = [...config.data.symbols].sort();
  if (new Set(symbols).size !== symbols.length) throw new BookConfigError('book config: data.symbols has duplicates');
  const pairs: Record<string, PairSpec> = {};
  for (const s of symbols) {
    const o = config.pairs[s];
    const p = o === undefined ? DEFAULT_PAIRS[s] : {
      symbol: s, pair_decimals: o.pair_decimals, lot_decimals: o.lot_decimals, fee_decimals: o.fee_decimals,
      ordermin: o.ordermin === null ? null : Decimal.parse(o.ordermin), costmin: o.costmin === null ? null : Decimal.parse(o.costmin),
    };
    if (p === undefined) throw new BookConfigError(`book config: no pair facts for ${s}; add them under "pairs"`);
    pairs[s] = p;
  }
  const traded = new Map<string, string>();
  const skills: SkillBinding[] = [];
  const window: Record<string, number> = {};
  for (const [i, b] of config.skills.entries()) {
    const key = `${b.skill}@${b.version}`;
    const skill = BUILTIN_SKILLS[key] as Skill<unknown> | undefined;
    if (skill === undefined) throw new BookConfigError(`book config: skills[${i}]: unknown skill ${key} (known: ${Object.keys(BUILTIN_SKILLS).join(', ')})`);
    if (skill.inputs.timeframes_s !== null && !skill.inputs.timeframes_s.includes(config.data.timeframe_s)) {
      throw new BookConfigError(`book config: skills[${i}]: ${key} does not support timeframe ${config.data.timeframe_s}s`);
    }
    const pr = skill.params.safeParse(b.params);
    if (!pr.success) throw new BookConfigError(`book config: skills[${i}].params: ${zodMessage(pr.error)}`);
    const warmup = skill.warmupBars(pr.data);
    if (warmup > HISTORY_BARS_MAX - 1) throw new BookConfigError(`book config: skills[${i}]: warm-up ${warmup} bars exceeds ${HISTORY_BARS_MAX - 1}`);
    for (const s of b.symbols) {
      if (!symbols.includes(s)) throw new BookConfigError(`book config: skills[${i}] trades ${s}, which is not in data.symbols`);
      const other = traded.get(s);
      if (other !== undefined) throw new BookConfigError(`book config: ${s} is traded by both ${other} and ${key}; one skill per symbol (positions are per symbol)`);
      traded.set(s, key);
      window[s] = Math.max(window[s] ?? 2, warmup + 1);
    }
    skills.push({ key, skill, params: pr.data, params_json: jsonSafe(pr.data) as SkillBinding['params_json'], symbols: [...b.symbols].sort(), warmup_bars: warmup });
  }
  for (const s of symbols) window[s] ??= 2;
  const sz = config.sizing;
  const sizing: SizingConfig =
    sz.mode === 'fixed_qty' ? { mode: 'fixed_qty', qty: Decimal.parse(sz.qty) }
      : sz.mode === 'fixed_notional' ? { mode: 'fixed_notional', notional: Decimal.parse(sz.notional) }
        : sz.mode === 'pct_equity' ? { mode: 'pct_equity', pct: Decimal.parse(sz.pct) }
          : { mode: 'vol_target', risk_pct: Decimal.parse(sz.risk_pct), atr_mult: Decimal.parse(sz.atr_mult), pct_equity_max: Decimal.parse(sz.pct_equity_max) };
  let profile: RiskProfile;
  try {
    profile = resolveRiskProfile(config.risk.profile, config.risk.overrides);
  } catch (e) {
    throw new BookConfigError(`book config: risk: ${(e as Error).message}`);
  }
  const base = feeScheduleAt(config.fees.schedule, Decimal.parse(config.fees.volume_30d));
  if (base === null) throw new BookConfigError(`book config: unknown fee schedule ${config.fees.schedule} (known: ${Object.keys(FEE_TABLES).join(', ')})`);
  const fees: FeeSchedule = {
    id: config.fees.maker_pct !== undefined || config.fees.taker_pct !== undefined ? `${base.id}+custom` : base.id,
    maker_pct: config.fees.maker_pct !== undefined ? Decimal.parse(config.fees.maker_pct) : base.maker_pct,
    taker_pct: config.fees.taker_pct !== undefined ? Decimal.parse(config.fees.taker_pct) : base.taker_pct,
  };
  const ex = config.execution;
  if (Decimal.parse(ex.slippage_bps).gte(Decimal.of(1000))) throw new BookConfigError('book config: execution.slippage_bps must be < 1000');
  if (ex.participation_pct_max !== null && Number(ex.participation_pct_max) > 100) throw new BookConfigError('book config: execution.participation_pct_max must be <= 100 (or null for no volume cap)');
  if (ex.participation_pct_max === null && Decimal.parse(ex.impact_bps_per_volume_pct).isPositive()) {
    throw new BookConfigError('book config: execution.impact_bps_per_volume_pct must be 0 when participation_pct_max is null (no volume model)');
  }
  let policy = DEFAULT_POLICY;
  if (config.governance?.policy !== undefined) {
    try {
      policy = resolvePolicy(config.governance?.policy, 'governance.policy');
    } catch (e) {
      throw new BookConfigError(`book config: ${(e as Error).message}`);
    }
  }
  const config_json = jsonSafe(config);
  return {
    config,
    config_json,
    config_hash: toHex(sha256(canonicalBytes(config_json))),
    symbols,
    interval_s: config.data.timeframe_s,
    skills,
    sizing,
    profile,
    gates: [riskGate(profile)],
    fees,
    execution: {
      slippage_bps: Decimal.parse(ex.slippage_bps),
      impact_bps_per_volume_pct: Decimal.parse(ex.impact_bps_per_volume_pct),
      participation_pct_max: ex.participation_pct_max === null ? null : Decimal.parse(ex.participation_pct_max),
      market_expire_bars: ex.market_expire_bars,
    },
    pairs,
    initial_cash: Decimal.parse(config.initial_cash),
    window_bars: window,
    policy,
    budgets: resolveBudgets(config.harness),
    lateness_ms: config.data.lateness_ms === undefined ? config.data.timeframe_s * 1000 : config.data.lateness_ms,
    truth_epochs: config.governance?.truth_epochs ?? 'off',
  };
}
