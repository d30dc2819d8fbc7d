/** What the daily report's files (./daily.ts, ./daily-health.ts, ./daily-lots.ts) share: the error, the day, payload readers. */
import type { CanonicalValue } from '../core/canonical/index.js';
import { Decimal } from '../core/money/index.js';

export const DAY_MS = 86_400_000;

export class DailyReportError extends Error {
  override readonly name = 'DailyReportError';
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export type Payload = Record<string, CanonicalValue>;
export interface Row { seq: number; type: string; time_ms: number; payload: Payload }

export const int = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
export const str = (v: CanonicalValue | undefined): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
export const dec = (v: CanonicalValue | undefined, what: string): Decimal => Decimal.parse(str(v), what);

