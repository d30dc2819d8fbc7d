/**
 * The runtime's in-process feeds (WARDEN_FEEDS): read and checked at config_validated (a bad
 * file is exit 78 before the store is opened), started after loops_started on the runtime's own
 * store connection, stopped first at shutdown (a batch in flight commits; it is one
 * transaction), and shown on /healthz. A feed that fails stops alone; the book runs on (its
 * ticks wait for data, as they would for a late `warden ingest`). Kept out of main.ts.
 */
import type { Db } from '../store/db.js';
import type { Logger } from '../telemetry/logger.js';
import type { FeedSpec } from '../feeds/config.js';
import type { FeedHost } from '../feeds/host.js';
import type { FeedStatus } from '../feeds/feed.js';

/** How often the runtime logs feed_status. */
export const RUNTIME_FEED_STATUS_MS = 30_000;

export async function loadRuntimeFeeds(path: string | undefined): Promise<FeedSpec[]> {
  if (path === undefined) return [];
  const { loadFeedsFile } = await import('../feeds/config.js');
  return loadFeedsFile(path, `WARDEN_FEEDS=${path}`);
}

export async function startRuntimeFeeds(specs: readonly FeedSpec[], db: Db, log: Logger): Promise<FeedHost | null> {
  if (specs.length === 0) return null;
  const { buildFeed } = await import('../feeds/config.js');
  const { hostFeeds } = await import('../feeds/host.js');
  const feeds = [];
  for (const s of specs) feeds.push(await buildFeed(s, { db, log }));
  const host = hostFeeds(feeds, log, RUNTIME_FEED_STATUS_MS);
  void host.done.then(({ failed }) => {
    for (const f of failed) log.error({ event: 'runtime_feed_failed', feed: f.name, reason: f.error.message, note: 'the feed stopped; the book runs on and waits for data' });
  });
  return host;
}

/** The feeds as /healthz shows them. */
export function feedHealth(host: FeedHost | null): Array<Pick<FeedStatus, 'name' | 'kind' | 'state' | 'ctt_ms' | 'lag_ms' | 'last_error'>> | undefined {
  return host?.statuses().map((s) => ({ name: s.name, kind: s.kind, state: s.state, ctt_ms: s.ctt_ms, lag_ms: s.lag_ms, last_error: s.last_error }));
}
