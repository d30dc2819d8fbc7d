/**
 * The feeds' wall clock and waits, injectable: feeds are I/O adapters (they poll, reconnect and
 * measure lag against real time), but tests drive them without timed sleeps through this seam.
 * A sleep ends early (resolves false) when its AbortSignal fires, so a stop is never delayed by a wait.
 */
export interface FeedClock {
  now(): number;
  /** Waits `ms`; resolves true when the time passed, false when `signal` aborted first. */
  sleep(ms: number, signal: AbortSignal): Promise<boolean>;
}

export const systemClock: FeedClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<boolean>((resolve) => {
      if (signal.aborted) return resolve(false);
      const onAbort = () => {
        clearTimeout(t);
        resolve(false);
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, Math.max(0, ms));
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};
