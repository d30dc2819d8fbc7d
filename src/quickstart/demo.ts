/**
 * What the live quick start (`npm start`) runs, in one place: the demo book, the bundled files, the
 * window replayed at a visible pace and the short warm-up ingested before it, and the default port.
 * The window is the last months the two bundled series share (the BTC/USD file ends 2023-01-07;
 * its last row is a candle still open when the file was made, so the replay stops before it).
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The package root (dist/src/quickstart -> ../../..), where config/ and data/ ship. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DEMO_BOOK_FILE = join(ROOT, 'config', 'demo.book.json');
export const DEMO_BOOK_ID = 'demo';
export const DEMO_FILES: readonly { file: string; symbol: string; interval_s: number }[] = [
  { file: join(ROOT, 'data', 'kraken', 'XBTUSD_60.csv'), symbol: 'BTC/USD', interval_s: 3600 },
  { file: join(ROOT, 'data', 'kraken', 'ETHUSD_60.csv'), symbol: 'ETH/USD', interval_s: 3600 },
];
/** The replay: bars opening in [from, to), released at DEMO_BARS_PER_SECOND (about 10 minutes). */
export const DEMO_REPLAY_FROM = '2022-10-01';
export const DEMO_REPLAY_TO = '2023-01-07T09:00:00Z';
/** The candles ingested at once before the replay, so the skills are warm when it starts. */
export const DEMO_WARMUP_DAYS = 7;
export const DEMO_BARS_PER_SECOND = 4;
/** The dashboard's default port (the health port stays the profile's; 8788 is `warden serve`'s). */
export const DEMO_PORT = 8790;
/** How often the terminal gets a status line, and how often the API is polled for new waiting directives. */
export const DEMO_STATUS_EVERY_MS = 10_000;
export const DEMO_POLL_MS = 1_000;
export const DEMO_ANNOUNCE_EVERY_MS = 5_000;

export function dayMs(d: string): number {
  return Date.parse(/T/.test(d) ? d : `${d}T00:00:00Z`);
}
