/**
 * Staleness is a function of the wall clock: when a feed stops nothing is appended, so no live
 * event (SSE) announces it. The pages that show staleness (overview, data) re-read it every
 * STALENESS_REFRESH_MS and update their badges in place; a badge therefore turns LATE/STALE at
 * most this long after the server's rule (--late-after-s / --stale-after-s) says so. Timers of a
 * page end when another page is shown.
 */
export const STALENESS_REFRESH_MS = 1_000;

const timers = new Set<number>();

/** Runs `fn` every `ms` until the page changes (a failed run is retried at the next one). */
export function every(ms: number, fn: () => Promise<void>): void {
  let busy = false;
  timers.add(window.setInterval(() => {
    if (busy) return;
    busy = true;
    void fn().catch(() => undefined).finally(() => (busy = false));
  }, ms));
}

export function disposeTimers(): void {
  for (const t of timers) window.clearInterval(t);
  timers.clear();
}
