/**
 * Pair metadata (price and lot precision, order minimums, fee tiers), read from a Kraken
 * AssetPairs payload and kept under the canonical symbol. The aggregator needs pair_decimals
 * (Kraken truncates vwap to it); the risk and execution kernels need lot_decimals, ordermin,
 * costmin and the fee tiers. Fees are percent per trade, as Kraken publishes them.
 */
import { Decimal } from '../money/decimal.js';
import { canonicalSymbol } from './symbols.js';

export interface FeeTier {
  /** 30-day volume (quote currency) from which this tier applies. */
  readonly volume_from: Decimal;
  /** Fee in percent of the trade's cost, e.g. 0.26. */
  readonly percent: Decimal;
}

export interface PairMeta {
  readonly symbol: string;
  /** Kraken's result key, e.g. "XXBTZUSD". */
  readonly kraken_name: string;
  readonly altname: string | null;
  readonly wsname: string | null;
  readonly pair_decimals: number;
  readonly lot_decimals: number;
  readonly cost_decimals: number | null;
  readonly ordermin: Decimal | null;
  readonly costmin: Decimal | null;
  readonly tick_size: Decimal | null;
  readonly fees_taker: readonly FeeTier[];
  readonly fees_maker: readonly FeeTier[];
}

/** Limits: pairs per payload and tiers per table (the recorded payloads have 237 and 10). */
export const ASSET_PAIRS_MAX = 5_000;
export const FEE_TIERS_MAX = 64;

/**
 * Price decimals of pairs as recorded in Kraken's AssetPairs payloads (2020-10-27 for USD pairs,
 * 2025-11 for BTC/USDT); used when no AssetPairs payload is given. Anything else needs one.
 */
export const KNOWN_PAIR_DECIMALS: Readonly<Record<string, number>> = {
  'BTC/USD': 1, 'ETH/USD': 2, 'BTC/USDT': 1,
};

export class PairMetaError extends Error {
  override readonly name = 'PairMetaError';
}

function int(v: unknown, what: string, max = 36): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new PairMetaError(`${what}: expected an integer 0..${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** A JSON number or numeric string -> Decimal (JSON numbers via their shortest round-trip text). */
function dec(v: unknown, what: string): Decimal {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new PairMetaError(`${what}: not a finite number`);
    return Decimal.parse(String(v), what);
  }
  if (typeof v === 'string') return Decimal.parse(v, what);
  throw new PairMetaError(`${what}: expected a number or decimal string, got ${JSON.stringify(v)}`);
}

function tiers(v: unknown, what: string): FeeTier[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > FEE_TIERS_MAX) throw new PairMetaError(`${what}: expected an array of at most ${FEE_TIERS_MAX} [volume, percent] tiers`);
  return v.map((t, i) => {
    if (!Array.isArray(t) || t.length !== 2) throw new PairMetaError(`${what}[${i}]: expected [volume, percent]`);
    return { volume_from: dec(t[0], `${what}[${i}] volume`), percent: dec(t[1], `${what}[${i}] percent`) };
  });
}

/** Parses a decoded AssetPairs response ({error, result}) into metadata keyed by canonical symbol. */
export function parseAssetPairs(payload: unknown): Map<string, PairMeta> {
  const p = payload as { error?: unknown; result?: unknown };
  if (!p || typeof p !== 'object' || typeof p.result !== 'object' || p.result === null) {
    throw new PairMetaError('AssetPairs payload: expected an object with a "result" object');
  }
  if (Array.isArray(p.error) && p.error.length > 0) throw new PairMetaError(`AssetPairs payload carries errors: ${JSON.stringify(p.error)}`);
  const entries = Object.entries(p.result as Record<string, unknown>);
  if (entries.length > ASSET_PAIRS_MAX) throw new PairMetaError(`AssetPairs payload: ${entries.length} pairs (max ${ASSET_PAIRS_MAX})`);
  const out = new Map<string, PairMeta>();
  for (const [key, raw] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const r = raw as Record<string, unknown>;
    if (key.endsWith('.d')) continue; // Kraken's dark-pool twins share the symbol
    const where = `AssetPairs ${key}`;
    const wsname = typeof r.wsname === 'string' ? r.wsname : null;
    let symbol: string;
    try {
      symbol = canonicalSymbol(wsname ?? key);
    } catch {
      continue; // a pair Warden cannot name (never in a universe); skipping it is not a data error
    }
    out.set(symbol, {
      symbol,
      kraken_name: key,
      altname: typeof r.altname === 'string' ? r.altname : null,
      wsname,
      pair_decimals: int(r.pair_decimals, `${where} pair_decimals`),
      lot_decimals: int(r.lot_decimals, `${where} lot_decimals`),
      cost_decimals: r.cost_decimals === undefined ? null : int(r.cost_decimals, `${where} cost_decimals`),
      ordermin: r.ordermin === undefined ? null : dec(r.ordermin, `${where} ordermin`),
      costmin: r.costmin === undefined ? null : dec(r.costmin, `${where} costmin`),
      tick_size: r.tick_size === undefined ? null : dec(r.tick_size, `${where} tick_size`),
      fees_taker: tiers(r.fees, `${where} fees`),
      fees_maker: tiers(r.fees_maker, `${where} fees_maker`),
    });
  }
  return out;
}

/** The fee percent that applies at a 30-day volume: the last tier whose threshold is <= volume. */
export function feePercentAt(tiersList: readonly FeeTier[], volume30d: Decimal): Decimal | null {
  let found: Decimal | null = null;
  for (const t of tiersList) if (t.volume_from.lte(volume30d)) found = t.percent;
  return found;
}
