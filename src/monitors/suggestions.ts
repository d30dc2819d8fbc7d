/**
 * Suggestions (F7, bounded automation): what the monitors found, recorded in the append-only,
 * hash-chained audit stream SUGGESTIONS_STREAM = "audit:suggestions" (like audit:quarantine,
 * src/replay/quarantine.ts). Monitors observe and suggest; they never act, and this stream is the
 * only thing they write (never a book's stream, never candles).
 *
 * Events (the contract in prompts/contracts.md, read by the API and the daily report):
 *   suggestion.raised   {monitor, severity, book, series, key, message, observed_at_ms, evidence}
 *   suggestion.cleared  {monitor, key, observed_at_ms}
 * A key names one open condition (the dedupe key): while it is open, finding it again writes
 * nothing, so running a monitor 100 times records what running it once does. A key is cleared when
 * its monitor runs again (over the same scope) and no longer finds it; it may be raised again later.
 *
 * Integrity: the open set is folded from the chain-verified stream (store.verify), incrementally
 * from the last verified head, so a tampered audit trail fails closed (IntegrityError naming
 * audit:suggestions). Writers take a short lease on the stream, only when there is something to
 * write (a run that changes nothing touches nothing), retried with a bounded backoff.
 */
import type { CanonicalValue } from '../core/canonical/index.js';
import type { StoredEvent } from '../core/events/index.js';
type Hash = Uint8Array;
import type { EventStore } from '../store/event-store.js';
import { withShortLease } from '../store/short-lease.js';
import { IntegrityError } from '../store/errors.js';

export const SUGGESTIONS_STREAM = 'audit:suggestions';
export const SUGGESTION_RAISED = 'suggestion.raised';
export const SUGGESTION_CLEARED = 'suggestion.cleared';
export const SUGGESTION_TYPES = [SUGGESTION_RAISED, SUGGESTION_CLEARED] as const;
export const MONITORS = ['stale_data', 'gap', 'drawdown_near_tier', 'tick_lag', 'feed_error', 'late_data'] as const;
export type MonitorName = (typeof MONITORS)[number];
export const SEVERITIES = ['info', 'warn', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Bounds on what one suggestion records. */
export const SUGGESTION_MESSAGE_CHARS_MAX = 1000;
export const SUGGESTION_KEY_CHARS_MAX = 300;
export const SUGGESTION_FIELD_CHARS_MAX = 200;
export const SUGGESTION_EVIDENCE_CHARS_MAX = 4000;
/** Open conditions at once (a bound on the fold's memory; past it a write fails loudly). */
export const OPEN_SUGGESTIONS_MAX = 10_000;
/** Events written by one record() call. */
export const SUGGESTION_WRITES_MAX = 1000;
export const SUGGESTIONS_LEASE_TTL_MS = 5000;
export const SUGGESTIONS_WRITE_ATTEMPTS = 10;
const VERIFY_BATCH = 2000;

/** The payload of suggestion.raised. */
export interface Suggestion {
  monitor: MonitorName;
  severity: Severity;
  book: string | null;
  series: string | null;
  key: string;
  message: string;
  observed_at_ms: number;
  evidence: { [k: string]: CanonicalValue };
}

/** A finding as a monitor produces it (observed_at_ms is stamped when it is recorded). */
export type Finding = Omit<Suggestion, 'observed_at_ms'>;

export interface SuggestionCleared {
  monitor: MonitorName;
  key: string;
  observed_at_ms: number;
}

/** An open suggestion: its raise and where it sits in the audit stream. */
export interface OpenSuggestion extends Suggestion {
  seq: number;
}

const bounded = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

function bad(e: StoredEvent, why: string): never {
  throw new IntegrityError(`${SUGGESTIONS_STREAM} seq ${e.seq}: ${e.type} ${why}`, SUGGESTIONS_STREAM, e.seq);
}

function field(e: StoredEvent, p: Record<string, unknown>, k: string, kind: 'string' | 'number' | 'string|null'): unknown {
  const v = p[k];
  const ok = kind === 'string' ? typeof v === 'string' : kind === 'number' ? typeof v === 'number' && Number.isSafeInteger(v) : v === null || typeof v === 'string';
  if (!ok) bad(e, `field ${k} is ${v === null ? 'null' : typeof v}, expected ${kind}`);
  return v;
}

/** Decodes a stored suggestion.raised (an IntegrityError at its seq when it is malformed). */
export function decodeRaised(e: StoredEvent): Suggestion {
  const p = e.payload;
  if (p === null || typeof p !== 'object' || Array.isArray(p)) bad(e, 'payload is not an object');
  const o = p as Record<string, unknown>;
  const monitor = field(e, o, 'monitor', 'string') as MonitorName;
  if (!MONITORS.includes(monitor)) bad(e, `monitor ${JSON.stringify(monitor)} is not one of ${MONITORS.join(', ')}`);
  const severity = field(e, o, 'severity', 'string') as Severity;
  if (!SEVERITIES.includes(severity)) bad(e, `severity ${JSON.stringify(severity)} is not one of ${SEVERITIES.join(', ')}`);
  const ev = o.evidence;
  if (ev === null || typeof ev !== 'object' || Array.isArray(ev)) bad(e, 'field evidence is not an object');
  return {
    monitor, severity, book: field(e, o, 'book', 'string|null') as string | null, series: field(e, o, 'series', 'string|null') as string | null,
    key: field(e, o, 'key', 'string') as string, message: field(e, o, 'message', 'string') as string,
    observed_at_ms: field(e, o, 'observed_at_ms', 'number') as number, evidence: ev as { [k: string]: CanonicalValue },
  };
}

/** Decodes a stored suggestion.cleared. */
export function decodeCleared(e: StoredEvent): SuggestionCleared {
  const p = e.payload;
  if (p === null || typeof p !== 'object' || Array.isArray(p)) bad(e, 'payload is not an object');
  const o = p as Record<string, unknown>;
  const monitor = field(e, o, 'monitor', 'string') as MonitorName;
  if (!MONITORS.includes(monitor)) bad(e, `monitor ${JSON.stringify(monitor)} is not one of ${MONITORS.join(', ')}`);
  return { monitor, key: field(e, o, 'key', 'string') as string, observed_at_ms: field(e, o, 'observed_at_ms', 'number') as number };
}

/** Checks a finding before it is recorded (a monitor's bug must not write a bad event). */
export function checkFinding(f: Finding): Finding {
  if (!MONITORS.includes(f.monitor)) throw new RangeError(`suggestion monitor ${JSON.stringify(f.monitor)}: expected one of ${MONITORS.join(', ')}`);
  if (!SEVERITIES.includes(f.severity)) throw new RangeError(`suggestion severity ${JSON.stringify(f.severity)}: expected one of ${SEVERITIES.join(', ')}`);
  if (f.key.length === 0 || f.key.length > SUGGESTION_KEY_CHARS_MAX) throw new RangeError(`suggestion key: 1..${SUGGESTION_KEY_CHARS_MAX} characters, got ${f.key.length}`);
  const evidence = JSON.stringify(f.evidence);
  if (evidence.length > SUGGESTION_EVIDENCE_CHARS_MAX) throw new RangeError(`suggestion ${f.key}: evidence is ${evidence.length} characters, max ${SUGGESTION_EVIDENCE_CHARS_MAX}`);
  return {
    ...f,
    book: f.book === null ? null : bounded(f.book, SUGGESTION_FIELD_CHARS_MAX),
    series: f.series === null ? null : bounded(f.series, SUGGESTION_FIELD_CHARS_MAX),
    message: bounded(f.message, SUGGESTION_MESSAGE_CHARS_MAX),
  };
}

/**
 * The open set of the audit stream, folded from its verified chain. sync() verifies only what
 * was appended since the last sync (from the verified head's hash), so a long-lived holder (the
 * runtime's monitor loop) pays for each event once.
 */
export class SuggestionLedger {
  private head: { seq: number; hash: Hash } | null = null;
  readonly open = new Map<string, OpenSuggestion>();

  get headSeq(): number {
    return this.head?.seq ?? 0;
  }

  apply(e: StoredEvent): void {
    if (e.type === SUGGESTION_RAISED) {
      const s = decodeRaised(e);
      this.open.set(s.key, { ...s, seq: e.seq });
      if (this.open.size > OPEN_SUGGESTIONS_MAX) throw new RangeError(`${SUGGESTIONS_STREAM}: more than ${OPEN_SUGGESTIONS_MAX} open suggestions`);
    } else if (e.type === SUGGESTION_CLEARED) {
      this.open.delete(decodeCleared(e).key);
    } else {
      bad(e, `is not an event of ${SUGGESTIONS_STREAM} (expected ${SUGGESTION_TYPES.join(' or ')})`);
    }
  }

  /** Verifies and folds what was appended since the last sync. */
  async sync(store: EventStore): Promise<void> {
    const h = await store.head(SUGGESTIONS_STREAM);
    if (h === null || h.seq === this.headSeq) {
      if (h !== null && this.head !== null && !sameBytes(h.hash, this.head.hash)) {
        throw new IntegrityError(`${SUGGESTIONS_STREAM}: the head hash at seq ${h.seq} changed since it was verified`, SUGGESTIONS_STREAM, h.seq);
      }
      return;
    }
    const r = await store.verify(SUGGESTIONS_STREAM, undefined, VERIFY_BATCH, (e) => this.apply(e), this.head ? { from: this.head } : {});
    this.head = { seq: r.head_seq, hash: r.head_hash };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Which open suggestions a monitor pass speaks for (only those may be cleared by it). */
export type Coverage = (open: OpenSuggestion) => boolean;

export interface RecordResult {
  raised: Suggestion[];
  cleared: SuggestionCleared[];
  /** Findings already open (nothing written for them). */
  unchanged: number;
  head_seq: number;
}

/** What a pass changes: raise the new keys, clear the covered open keys no longer found. */
export function plan(ledger: SuggestionLedger, findings: readonly Finding[], covered: Coverage): { raise: Finding[]; clear: OpenSuggestion[]; unchanged: number } {
  const found = new Map<string, Finding>();
  for (const f of findings) if (!found.has(f.key)) found.set(f.key, f);
  const raise = [...found.values()].filter((f) => !ledger.open.has(f.key));
  const clear = [...ledger.open.values()].filter((o) => covered(o) && !found.has(o.key));
  return { raise, clear, unchanged: found.size - raise.length };
}

/**
 * Records a monitor pass: raises the findings not already open, clears the covered open
 * suggestions not found again. Writes nothing (and takes no lease) when nothing changed.
 * `time_ms` is the process's wall clock (observed_at_ms and the events' time).
 */
export async function recordFindings(
  store: EventStore, ledger: SuggestionLedger, findings: readonly Finding[], covered: Coverage, opts: { owner: string; time_ms: number },
): Promise<RecordResult> {
  if (!Number.isSafeInteger(opts.time_ms) || opts.time_ms < 0) throw new RangeError(`suggestions time_ms ${opts.time_ms}: expected an integer >= 0`);
  const checked = findings.map(checkFinding);
  await ledger.sync(store);
  const first = plan(ledger, checked, covered);
  if (first.raise.length === 0 && first.clear.length === 0) return { raised: [], cleared: [], unchanged: first.unchanged, head_seq: ledger.headSeq };
  return withShortLease(store, SUGGESTIONS_STREAM, opts.owner, { ttl_ms: SUGGESTIONS_LEASE_TTL_MS, attempts_max: SUGGESTIONS_WRITE_ATTEMPTS }, async (lease) => {
    await ledger.sync(store);
    const p = plan(ledger, checked, covered);
    const raised: Suggestion[] = p.raise.map((f) => ({ ...f, observed_at_ms: opts.time_ms }));
    const cleared: SuggestionCleared[] = p.clear.map((o) => ({ monitor: o.monitor, key: o.key, observed_at_ms: opts.time_ms }));
    const events = [
      ...cleared.map((c) => ({ type: SUGGESTION_CLEARED, time_ms: opts.time_ms, payload: c as unknown as CanonicalValue })),
      ...raised.map((s) => ({ type: SUGGESTION_RAISED, time_ms: opts.time_ms, payload: s as unknown as CanonicalValue })),
    ];
    if (events.length > SUGGESTION_WRITES_MAX) throw new RangeError(`${SUGGESTIONS_STREAM}: one pass would write ${events.length} events, max ${SUGGESTION_WRITES_MAX}`);
    if (events.length > 0) {
      await store.append(lease, ledger.headSeq, events);
      await ledger.sync(store);
    }
    return { raised, cleared, unchanged: p.unchanged, head_seq: ledger.headSeq };
  });
}
