/**
 * Symbols: every Kraken spelling of a pair (XBTUSD, XXBTZUSD, XBT/USD, BTC/USD, XBTUSD_60.csv's
 * stem...) maps to ONE canonical symbol, BASE/QUOTE in Warden's asset names ("BTC/USD"), so a
 * series ingested from a CSV, a REST payload or a trade file lands in the same place.
 * Pure string functions; unknown spellings are an error that says what was expected, never a guess.
 */

/** Kraken's legacy asset codes (X/Z-prefixed, XBT, XDG) -> Warden's names. */
const ASSET_ALIASES: Readonly<Record<string, string>> = {
  XBT: 'BTC', XXBT: 'BTC', XBTC: 'BTC', XDG: 'DOGE', XXDG: 'DOGE',
  XETH: 'ETH', XETC: 'ETC', XLTC: 'LTC', XXRP: 'XRP', XXLM: 'XLM', XXMR: 'XMR', XZEC: 'ZEC',
  XREP: 'REP', XMLN: 'MLN',
  ZUSD: 'USD', ZEUR: 'EUR', ZGBP: 'GBP', ZCAD: 'CAD', ZJPY: 'JPY', ZCHF: 'CHF', ZAUD: 'AUD',
};

/** Quote currencies recognised at the end of a slash-less pair name, longest first. */
const QUOTES: readonly string[] = ['USDT', 'USDC', 'ZUSD', 'ZEUR', 'ZGBP', 'ZCAD', 'ZJPY', 'USD', 'EUR', 'GBP', 'CAD', 'JPY', 'CHF', 'AUD', 'DAI', 'XBT', 'ETH'];

/** Universe V1 (seed 001): the default universe, base assets quoted in USD, in the seed's order. */
export const UNIVERSE_V1_ASSETS: readonly string[] = [
  'BTC', 'ETH', 'BNB', 'XRP', 'SOL', 'TRX', 'ADA', 'BCH', 'XMR', 'LINK', 'XLM', 'HBAR', 'LTC', 'AVAX', 'ZEC',
  'SUI', 'SHIB', 'TON', 'DOT', 'UNI', 'AAVE', 'TAO', 'NEAR', 'ETC', 'ICP', 'POL', 'KAS', 'ALGO', 'FIL', 'APT',
];
export const UNIVERSE_V1: readonly string[] = UNIVERSE_V1_ASSETS.map((a) => `${a}/USD`);

/** Limit: no asset code or pair name is longer than this. */
export const PAIR_NAME_LENGTH_MAX = 32;
const ASSET_RE = /^[A-Z0-9]{2,12}$/;

export class SymbolError extends Error {
  override readonly name = 'SymbolError';
}

/** Kraken asset code -> Warden asset name ("XXBT" -> "BTC", "ZUSD" -> "USD", "SOL" -> "SOL"). */
export function canonicalAsset(code: string): string {
  const up = code.trim().toUpperCase();
  const a = ASSET_ALIASES[up] ?? up;
  if (!ASSET_RE.test(a)) throw new SymbolError(`asset code ${JSON.stringify(code)}: expected 2..12 letters or digits`);
  return a;
}

/**
 * Any Kraken pair spelling -> canonical "BASE/QUOTE".
 * Accepts "BTC/USD", "XBT/USD", "xbtusd", "XBTUSD", "XXBTZUSD", "XBTUSDT", "ETHUSD", "XETHZUSD".
 */
export function canonicalSymbol(pair: string): string {
  if (typeof pair !== 'string' || pair.length === 0 || pair.length > PAIR_NAME_LENGTH_MAX) {
    throw new SymbolError(`pair ${JSON.stringify(pair)}: expected a pair name of 1..${PAIR_NAME_LENGTH_MAX} characters like "BTC/USD" or "XBTUSD"`);
  }
  const up = pair.trim().toUpperCase().replace(/[-_:]/g, '/');
  if (up.includes('/')) {
    const parts = up.split('/');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new SymbolError(`pair ${JSON.stringify(pair)}: expected BASE/QUOTE`);
    return `${canonicalAsset(parts[0])}/${canonicalAsset(parts[1])}`;
  }
  // Kraken's 8-letter legacy form: X<base3>Z<quote3> or X<base3>X<quote3> (XXBTZUSD, XETHXXBT).
  const legacy = /^([XZ][A-Z]{3})([XZ][A-Z]{3})$/.exec(up);
  if (legacy && (ASSET_ALIASES[legacy[1]!] || ASSET_ALIASES[legacy[2]!])) {
    return `${canonicalAsset(legacy[1]!)}/${canonicalAsset(legacy[2]!)}`;
  }
  for (const q of QUOTES) {
    if (up.length > q.length + 1 && up.endsWith(q)) {
      return `${canonicalAsset(up.slice(0, -q.length))}/${canonicalAsset(q)}`;
    }
  }
  throw new SymbolError(`pair ${JSON.stringify(pair)}: cannot tell base from quote; write it as BASE/QUOTE (e.g. BTC/USD)`);
}

/**
 * Kraken OHLCVT file names are PAIR_MINUTES.csv ("XBTUSD_60.csv"): returns the canonical symbol
 * and interval in seconds, or null when the name does not look like that.
 */
export function parseOhlcvtFileName(baseName: string): { symbol: string; interval_s: number } | null {
  const m = /^([A-Za-z0-9]{4,16})_(\d{1,5})\.csv$/.exec(baseName);
  if (!m) return null;
  let symbol: string;
  try {
    symbol = canonicalSymbol(m[1]!);
  } catch {
    return null;
  }
  return { symbol, interval_s: Number(m[2]) * 60 };
}
