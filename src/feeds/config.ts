/**
 * Feed specs: one zod schema for a feeds file (the runtime's WARDEN_FEEDS, `warden feed run
 * --config`) and for `warden feed <kind> --options` (the CLI builds the same spec). Defaults
 * are written here once and listed in the README ("Feeds"). A bad spec is a FeedConfigError
 * (exit 78) naming the file, the feed and the field.
 *
 *   {"feeds": [
 *     {"name": "btc-1h", "kind": "rest-ohlc", "pair": "XBTUSD", "interval": "1h"},
 *     {"name": "btc-trades", "kind": "ws-trades", "pair": "XBTUSD"},
 *     {"name": "drop", "kind": "file-drop", "dir": "./var/drop"},
 *     {"name": "demo", "kind": "replay", "files": [{"file": "data/kraken/XBTUSD_60.csv"}], "bars_per_second": 5, "from": "2022-10-01"}
 *   ]}
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from '../core/zod.js';
import { parseOhlcvtFileName, canonicalSymbol } from '../core/market/symbols.js';
import { parseIsoUtcMs } from '../core/market/time.js';
import { parseInterval } from '../ingest/source.js';
import { parseJsonText } from '../config/json-text.js';
import type { Feed, FeedContext } from './feed.js';
import { KRAKEN_OHLC_MINUTES } from './kraken-limits.js';

export class FeedConfigError extends Error {
  override readonly name = 'FeedConfigError';
  readonly exitCode = 78;
}

export const FEEDS_FILE_BYTES_MAX = 1 << 20;
export const FEEDS_MAX = 64;

const name = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'lower-case letters, digits, _ . - (1-64)');
const ms = (min: number, max: number) => z.number().int().min(min).max(max);
const url = (schemes: string[]) => z.string().url().refine((u) => schemes.includes(new URL(u).protocol), `a ${schemes.join(' or ')} URL`);
const interval = z.string().transform((v, c) => {
  try {
    return parseInterval(v);
  } catch (e) {
    c.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const date = z.string().transform((v, c) => {
  const t = parseIsoUtcMs(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (t === null) c.addIssue({ code: 'custom', message: `${JSON.stringify(v)}: expected a UTC date (2023-03-01) or time (2023-03-01T12:00:00Z)` });
  return t ?? 0;
});
const pair = z.string().refine((p) => {
  try {
    canonicalSymbol(p);
    return true;
  } catch {
    return false;
  }
}, 'a Kraken pair (XBTUSD, XXBTZUSD, BTC/USD)');
const rate = z.object({ capacity: z.number().min(1).max(100), per_second: z.number().positive().max(100) }).strict();

export const FeedSpecSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('rest-ohlc'), name, pair,
    interval: interval.refine((s) => KRAKEN_OHLC_MINUTES.includes(s / 60), `Kraken OHLC intervals are ${KRAKEN_OHLC_MINUTES.join(', ')} minutes`),
    base_url: url(['https:', 'http:']).default('https://api.kraken.com'),
    poll_ms: ms(1_000, 3_600_000).default(30_000), timeout_ms: ms(100, 120_000).default(10_000),
    rate: rate.default({ capacity: 2, per_second: 0.5 }), rate_limit_pause_ms: ms(0, 600_000).default(10_000),
    since: date.optional(), once: z.boolean().default(false),
  }).strict(),
  z.object({
    kind: z.literal('ws-trades'), name, pair,
    ws_url: url(['wss:', 'ws:']).default('wss://ws.kraken.com/v2'), rest_base_url: url(['https:', 'http:']).default('https://api.kraken.com'),
    price_decimals: z.number().int().min(0).max(12).optional(), settle_ms: ms(0, 60_000).default(2_000), timeout_ms: ms(100, 120_000).default(10_000),
    idle_timeout_ms: ms(1_000, 600_000).default(15_000), tick_ms: ms(10, 60_000).default(1_000),
    rate: rate.default({ capacity: 2, per_second: 0.5 }), since: date.optional(),
  }).strict(),
  z.object({
    kind: z.literal('file-drop'), name, dir: z.string().min(1).max(4096),
    poll_ms: ms(50, 3_600_000).default(2_000), settle_ms: ms(0, 3_600_000).default(2_000), once: z.boolean().default(false),
    symbol: pair.optional(), interval: interval.optional(),
  }).strict(),
  z.object({
    kind: z.literal('replay'), name,
    files: z.array(z.object({ file: z.string().min(1).max(4096), symbol: pair.optional(), interval: interval.optional() }).strict()).min(1).max(32),
    bars_per_second: z.number().positive().max(1000), from: date.optional(), to: date.optional(),
  }).strict(),
]);

export type FeedSpec = z.infer<typeof FeedSpecSchema>;
export type FeedSpecInput = z.input<typeof FeedSpecSchema>;

const FileSchema = z.object({ feeds: z.array(z.unknown()).min(1).max(FEEDS_MAX) }).strict();

function issues(e: z.ZodError, where: string): string {
  return e.issues.map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`).join('; ');
}

/** Validates one spec; `where` names it in messages ("feeds.json feeds[1]", "warden feed rest-ohlc"). */
export function parseFeedSpec(raw: unknown, where: string): FeedSpec {
  const r = FeedSpecSchema.safeParse(raw);
  if (!r.success) throw new FeedConfigError(issues(r.error, where));
  return r.data;
}

/** Reads a feeds file; `what` names it ("WARDEN_FEEDS=./feeds.json"). Names must be unique. */
export function loadFeedsFile(file: string, what = file): FeedSpec[] {
  let raw: unknown;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > FEEDS_FILE_BYTES_MAX) throw new Error(`${st.size} bytes (max ${FEEDS_FILE_BYTES_MAX})`);
    raw = parseJsonText(readFileSync(file, 'utf8'), what);
  } catch (e) {
    throw new FeedConfigError(`cannot read the feeds file ${(e as Error).message.startsWith(what) ? '' : `${what}: `}${(e as Error).message}`);
  }
  const top = FileSchema.safeParse(raw);
  if (!top.success) throw new FeedConfigError(`${what}: ${issues(top.error, 'feeds file')} (expected {"feeds": [ ... ]})`);
  const specs = top.data.feeds.map((f, i) => parseFeedSpec(f, `${what} feeds[${i}]`));
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new FeedConfigError(`${what}: two feeds are named ${JSON.stringify(s.name)}; names must be unique`);
    seen.add(s.name);
  }
  return specs;
}

/** Builds the feed a spec describes (modules loaded on demand: ws only for ws-trades). */
export async function buildFeed(spec: FeedSpec, ctx: FeedContext): Promise<Feed> {
  try {
    return await construct(spec, ctx);
  } catch (e) {
    if (e instanceof RangeError) throw new FeedConfigError(`feed ${spec.name}: ${e.message}`);
    throw e;
  }
}

async function construct(spec: FeedSpec, ctx: FeedContext): Promise<Feed> {
  switch (spec.kind) {
    case 'rest-ohlc': {
      const { RestOhlcFeed } = await import('./rest-ohlc.js');
      return new RestOhlcFeed(spec.name, ctx, {
        base_url: spec.base_url, pair: spec.pair, interval_s: spec.interval, poll_ms: spec.poll_ms, timeout_ms: spec.timeout_ms, rate: spec.rate,
        rate_limit_pause_ms: spec.rate_limit_pause_ms, since_s: spec.since === undefined ? undefined : spec.since / 1000, once: spec.once,
      });
    }
    case 'ws-trades': {
      const { WsTradesFeed } = await import('./ws-trades.js');
      return new WsTradesFeed(spec.name, ctx, {
        ws_url: spec.ws_url, rest_base_url: spec.rest_base_url, pair: spec.pair, price_decimals: spec.price_decimals, settle_ms: spec.settle_ms,
        timeout_ms: spec.timeout_ms, idle_timeout_ms: spec.idle_timeout_ms, tick_ms: spec.tick_ms, rate: spec.rate,
        since_s: spec.since === undefined ? undefined : spec.since / 1000,
      });
    }
    case 'file-drop': {
      const { FileDropFeed } = await import('./file-drop.js');
      return new FileDropFeed(spec.name, ctx, {
        dir: spec.dir, poll_ms: spec.poll_ms, settle_ms: spec.settle_ms, once: spec.once,
        ingest: { symbol: spec.symbol, interval_s: spec.interval },
      });
    }
    case 'replay': {
      const { ReplayFeed } = await import('./replay.js');
      const sources = spec.files.map((f, i) => {
        const named = parseOhlcvtFileName(f.file.split(/[\\/]/).pop() ?? '');
        const symbol = f.symbol ? canonicalSymbol(f.symbol) : named?.symbol;
        const interval_s = f.interval ?? named?.interval_s;
        if (!symbol || !interval_s) throw new FeedConfigError(`feed ${spec.name} files[${i}] ${f.file}: cannot tell the symbol and interval from the name; give "symbol" and "interval"`);
        return { file: f.file, symbol, interval_s };
      });
      return new ReplayFeed(spec.name, ctx, { sources, bars_per_second: spec.bars_per_second, from_ms: spec.from ?? null, to_ms: spec.to ?? null });
    }
  }
}
