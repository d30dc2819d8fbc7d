/**
 * Truth epochs (seed 004 section 4; infra/TRUTH_EPOCHS.md): with `governance.truth_epochs` on, the
 * runtime evaluates a tick T only when T <= TE, and TE moves only through the gate:
 *   data_complete     every symbol's CTT (newest candle through the ingestion gate) is at or after T,
 *                     or the symbol is late at T (another symbol reached T + data.lateness_ms);
 *   no_critical       the book is not HALTED and not quarantined;
 *   policy_compliant  the book is ACTIVE.
 * Manual: the operator command epoch.advance (`warden epoch advance`), whose payload carries what
 * the CLI read from the store (CTT per symbol, quarantine): the recorded input the gate runs on, so
 * a replay re-decides nothing from a clock or a table. A failed gate is refused unless the operator
 * overrides it with a justification (mode "override", every check recorded as it was). Auto (after
 * an approved epoch.auto.enable): the tick step itself advances TE to its own T, the tick being the
 * proof that the data is complete. Pure: no clock, no I/O.
 */
import type { CanonicalValue } from '../canonical/index.js';
import type { ResolvedBook } from './config.js';
import type { EpochCheck } from './events.js';
import { REASON_CHARS_MAX } from './limits.js';
import type { BookState } from './state.js';

/** A time in a check's detail: ms since the epoch (src/core has no calendar formatting). */
const iso = (ms: number): string => `${ms}`;

/** The payload of an epoch.advance inbox command. */
export interface EpochAdvancePayload {
  readonly to_ms: number;
  /** CTT per symbol of the book (close time of its newest accepted candle; null: none), as read when the command was issued. */
  readonly ctt: Readonly<Record<string, number | null>>;
  readonly quarantined: boolean;
  readonly override: boolean;
  readonly justification: string | null;
}

const PAYLOAD_KEYS = ['ctt', 'justification', 'override', 'quarantined', 'to_ms'];

/** Checks an epoch.advance payload against the book: the payload, or why it is refused. */
export function parseEpochAdvance(payload: CanonicalValue, book: ResolvedBook): EpochAdvancePayload | { rejected: string } {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return { rejected: `payload must be an object with ${PAYLOAD_KEYS.join(', ')}` };
  const p = payload as { [k: string]: CanonicalValue };
  const keys = Object.keys(p).sort();
  if (keys.join(',') !== PAYLOAD_KEYS.join(',')) return { rejected: `payload fields must be exactly ${PAYLOAD_KEYS.join(', ')} (got ${keys.join(', ') || 'none'})` };
  const to = p.to_ms;
  if (typeof to !== 'number' || !Number.isSafeInteger(to) || to <= 0) return { rejected: 'to_ms must be a positive integer (ms)' };
  if (to % (book.interval_s * 1000) !== 0) return { rejected: `to_ms ${to} is not a bar close of the book's ${book.interval_s}s bars` };
  if (typeof p.override !== 'boolean' || typeof p.quarantined !== 'boolean') return { rejected: 'override and quarantined must be booleans' };
  const j = p.justification;
  if (j !== null && typeof j !== 'string') return { rejected: 'justification must be a string or null' };
  if (typeof j === 'string' && j.length > REASON_CHARS_MAX) return { rejected: `justification is ${j.length} characters (max ${REASON_CHARS_MAX})` };
  if (p.override && (j === null || j.trim() === '')) return { rejected: 'an override needs a justification (--justification "...")' };
  const c = p.ctt;
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return { rejected: 'ctt must be an object {symbol: close_ms | null}' };
  const ctt: Record<string, number | null> = {};
  for (const s of book.symbols) {
    const v = (c as { [k: string]: CanonicalValue })[s];
    if (v !== null && (typeof v !== 'number' || !Number.isSafeInteger(v))) return { rejected: `ctt.${s} must be an integer (ms) or null` };
    ctt[s] = v;
  }
  const extra = Object.keys(c).filter((k) => !book.symbols.includes(k));
  if (extra.length > 0) return { rejected: `ctt names ${extra.sort().join(', ')}, which the book does not trade` };
  return { to_ms: to, ctt, quarantined: p.quarantined, override: p.override, justification: j };
}

/** data_complete at T from CTT per symbol (see the header), with the book's lateness. */
export function dataCompleteAt(book: ResolvedBook, to_ms: number, ctt: Readonly<Record<string, number | null>>): EpochCheck {
  let newest: number | null = null;
  for (const s of book.symbols) {
    const v = ctt[s] ?? null;
    if (v !== null && (newest === null || v > newest)) newest = v;
  }
  const parts: string[] = [];
  let ok = true;
  for (const s of book.symbols) {
    const v = ctt[s] ?? null;
    if (v !== null && v >= to_ms) parts.push(`${s} at ${iso(v)}`);
    else if (book.lateness_ms !== null && newest !== null && newest >= to_ms + book.lateness_ms) parts.push(`${s} late (CTT ${v === null ? 'none' : iso(v)}; skipped after ${book.lateness_ms} ms)`);
    else {
      ok = false;
      parts.push(`${s} missing (CTT ${v === null ? 'none' : iso(v)} < ${iso(to_ms)})`);
    }
  }
  return { check: 'data_complete', ok, detail: parts.join('; ') };
}

/** no_critical and policy_compliant, from the state (and the quarantine flag read by the issuer). */
export function healthChecks(s: Pick<BookState, 'status'>, quarantined: boolean): EpochCheck[] {
  const critical = s.status === 'HALTED' ? 'book HALTED (a harness error)' : quarantined ? 'book quarantined' : null;
  return [
    { check: 'no_critical', ok: critical === null, detail: critical ?? `book ${s.status}, not quarantined` },
    { check: 'policy_compliant', ok: s.status === 'ACTIVE', detail: s.status === 'ACTIVE' ? 'book ACTIVE' : `book ${s.status} (must be ACTIVE)` },
  ];
}

/** The checks of a manual advance to T. */
export function epochGate(book: ResolvedBook, s: BookState, p: EpochAdvancePayload): EpochCheck[] {
  return [dataCompleteAt(book, p.to_ms, p.ctt), ...healthChecks(s, p.quarantined)];
}

/** The latest bar close T > after_ms (null: any) whose data is complete, or null: what `epoch advance` picks without --to. */
export function latestCompleteMs(book: ResolvedBook, ctt: Readonly<Record<string, number | null>>, after_ms: number | null): number | null {
  const step = book.interval_s * 1000;
  let oldest: number | null = null;
  let newest: number | null = null;
  for (const s of book.symbols) {
    const v = ctt[s] ?? null;
    if (v === null) {
      oldest = Number.MIN_SAFE_INTEGER;
      continue;
    }
    if (oldest === null || v < oldest) oldest = v;
    if (newest === null || v > newest) newest = v;
  }
  if (newest === null || oldest === null) return null;
  let t = oldest;
  if (book.lateness_ms !== null) t = Math.max(t, newest - book.lateness_ms);
  t = Math.floor(t / step) * step;
  return t > 0 && (after_ms === null || t > after_ms) ? t : null;
}

/** The checks of an auto advance inside the tick at T (the released tick is the data proof). */
export function autoChecks(s: BookState, symbols: readonly string[], skipped: readonly string[]): EpochCheck[] {
  const late = skipped.length === 0 ? '' : `; skipped as late: ${skipped.join(', ')}`;
  return [{ check: 'data_complete', ok: true, detail: `tick released with ${symbols.join(', ')}${late}` }, ...healthChecks(s, false)];
}

/** Whether the tick at T may run now with epochs on: T <= TE, or auto mode whose gate passes (ACTIVE). */
export function epochAllows(book: ResolvedBook, s: BookState, t_ms: number): boolean {
  if (book.truth_epochs === 'off') return true;
  if (s.truth_epoch_ms !== null && t_ms <= s.truth_epoch_ms) return true;
  return s.epoch_auto && s.status === 'ACTIVE';
}
