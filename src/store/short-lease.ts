/**
 * A short writer lease on a shared audit stream (audit:quarantine, audit:suggestions), held only
 * for one write and retried with a bounded, doubling backoff while another writer holds it or
 * appends first. Several processes write these streams (every runtime, the monitors, an operator's
 * CLI), so none may keep the lease; the loser of a race waits and tries again on the new head.
 * After `attempts_max` busy attempts the write fails with exit 75 (EX_TEMPFAIL: try again later),
 * naming the stream. Any other error is not retried. The lease is released whatever happens.
 */
import type { EventStore, Lease } from './event-store.js';
import { ConcurrencyError, LeaseError } from './errors.js';

export interface ShortLeaseOptions {
  readonly ttl_ms: number;
  readonly attempts_max: number;
  /** First wait after a busy attempt; doubled each time up to backoff_ms_max. */
  readonly backoff_ms_first?: number;
  readonly backoff_ms_max?: number;
}

export const SHORT_LEASE_BACKOFF_MS_FIRST = 50;
export const SHORT_LEASE_BACKOFF_MS_MAX = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` holding `stream`'s lease; `fn` must read what it needs AFTER it holds the lease (the head it appends at). */
export async function withShortLease<T>(store: EventStore, stream: string, owner: string, opts: ShortLeaseOptions, fn: (lease: Lease) => Promise<T>): Promise<T> {
  if (!Number.isSafeInteger(opts.attempts_max) || opts.attempts_max < 1) throw new RangeError(`${stream}: attempts_max must be an integer >= 1, got ${opts.attempts_max}`);
  let delay = opts.backoff_ms_first ?? SHORT_LEASE_BACKOFF_MS_FIRST;
  const delayMax = opts.backoff_ms_max ?? SHORT_LEASE_BACKOFF_MS_MAX;
  for (let attempt = 1; ; attempt++) {
    let lease: Lease | undefined;
    try {
      lease = await store.acquireLease(stream, owner, opts.ttl_ms);
      return await fn(lease);
    } catch (e) {
      const busy = e instanceof LeaseError || e instanceof ConcurrencyError;
      if (!busy) throw e;
      if (attempt >= opts.attempts_max) {
        throw Object.assign(new Error(`${stream}: could not write after ${attempt} attempts, its lease stayed busy: ${(e as Error).message}`), { exitCode: 75 });
      }
    } finally {
      if (lease) await store.releaseLease(lease).catch(() => undefined);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, delayMax);
  }
}
