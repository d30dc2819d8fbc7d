/**
 * Runs a set of feeds side by side (in the runtime, or in a `warden feed` process): starts each,
 * logs every feed's status and lag as `feed_status` every status_ms, and stops them all on
 * stop(). A feed that fails stops alone (its status says failed, with the reason); the others
 * go on. `done` settles when every feed has ended, with the names of those that failed.
 */
import type { Logger } from '../telemetry/logger.js';
import type { Feed, FeedStatus } from './feed.js';

export interface FeedHost {
  statuses(): FeedStatus[];
  /** Stops every feed and waits for them (a batch in flight finishes: it is one transaction). */
  stop(): Promise<void>;
  readonly done: Promise<{ failed: Array<{ name: string; error: Error }> }>;
}

export function hostFeeds(feeds: readonly Feed[], log: Logger, status_ms: number): FeedHost {
  const stop = new AbortController();
  const failed: Array<{ name: string; error: Error }> = [];
  const logStatus = () => {
    for (const s of feeds.map((f) => f.status())) log.info({ event: 'feed_status', ...s });
  };
  const timer = setInterval(logStatus, status_ms);
  timer.unref();
  const done = Promise.all(feeds.map((f) => f.run(stop.signal).catch((e: unknown) => void failed.push({ name: f.name, error: e as Error })))).then(() => {
    clearInterval(timer);
    logStatus();
    return { failed };
  });
  return {
    statuses: () => feeds.map((f) => f.status()),
    stop: async () => {
      stop.abort();
      await done;
    },
    done,
  };
}
