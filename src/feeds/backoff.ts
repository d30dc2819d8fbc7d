/**
 * Capped exponential backoff with jitter, and a token bucket: how a feed retries and how it
 * paces its requests. Both are pure arithmetic over injected sources (jitter in [0, 1), the
 * clock's now), so a test states the exact delays it expects.
 */

export interface BackoffPolicy {
  /** First retry delay before jitter. */
  readonly base_ms: number;
  /** No delay is longer than this. */
  readonly cap_ms: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { base_ms: 1_000, cap_ms: 60_000 };

/** A number in [0, 1): Math.random in production, a seeded or fixed source in tests. */
export type JitterSource = () => number;

/**
 * The delay before retry `attempt` (1 = the first retry): d = min(cap, base * 2^(attempt-1)),
 * then "equal jitter": d/2 + jitter * d/2, so a retry always waits at least half of d and
 * two feeds failing together do not retry in step.
 */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, jitter: JitterSource): number {
  const exp = Math.min(policy.cap_ms, policy.base_ms * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  const j = jitter();
  if (!(j >= 0 && j < 1)) throw new RangeError(`jitter source returned ${j}; expected a number in [0, 1)`);
  return Math.round(exp / 2 + (j * exp) / 2);
}

/**
 * Token bucket: `capacity` requests at once, refilled at `per_second`. take() says how long to
 * wait before the next request may go (0 = now) and spends the token.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(readonly capacity: number, readonly per_second: number, now: number) {
    if (!(capacity >= 1) || !(per_second > 0)) throw new RangeError(`token bucket: capacity >= 1 and a positive rate are required, got ${capacity}, ${per_second}`);
    this.tokens = capacity;
    this.at = now;
  }

  /** Spends one token; returns the ms to wait before using it (0 when one was available). */
  take(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.per_second);
    this.at = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.per_second) * 1000);
  }
}
