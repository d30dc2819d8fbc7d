/**
 * The directives of a book stream as the dashboard shows them, read from the governance events
 * of the stream (the contract: directive.proposed, policy.evaluated, directive.status_changed,
 * execution.status_changed): each directive with its status, policy evaluations (rule results
 * and reasons), status history and execution runs. Folded incrementally per stream (only the
 * events appended since the last request are read) and bounded (DIRECTIVES_PER_STREAM_MAX; the
 * oldest finished ones are dropped first). Empty until a book records directives.
 */
import type { CanonicalValue } from '../core/canonical/index.js';
import type { Db } from '../store/db.js';
import { DIRECTIVES_PER_STREAM_MAX, PAGE_LIMIT_MAX } from './limits.js';
import { typedPage, type EventRow } from './reads.js';

export const GOVERNANCE_TYPES = ['directive.proposed', 'policy.evaluated', 'directive.status_changed', 'execution.status_changed'] as const;
export const WAITING_STATUSES = ['proposed'] as const;
const FINISHED = new Set(['complete', 'aborted', 'blocked']);

type Obj = Record<string, CanonicalValue>;
export interface DirectiveView {
  directive_id: string;
  type: string | null;
  objective: string | null;
  issued_by: string | null;
  role: string | null;
  scope: CanonicalValue;
  budget: CanonicalValue;
  timebox: CanonicalValue;
  payload: CanonicalValue;
  status: string;
  proposed_seq: number;
  proposed_ms: number;
  updated_ms: number;
  evaluations: Array<{ seq: number; time_ms: number; policy_version: CanonicalValue; verdict: string; results: CanonicalValue; artifact_hash: CanonicalValue }>;
  history: Array<{ seq: number; time_ms: number; from: string; to: string; by: string; reason: string; human_override: boolean; note: CanonicalValue }>;
  runs: Array<{ run_id: string; module: string; status: string; detail: CanonicalValue; seq: number }>;
}

const s = (v: CanonicalValue | undefined): string | null => (typeof v === 'string' ? v : null);
const o = (v: CanonicalValue | undefined): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** Applies one governance event to the directives map (unknown or malformed payloads are skipped, not guessed). */
export function applyGovernance(map: Map<string, DirectiveView>, e: EventRow): void {
  const p = o(e.payload);
  if (e.type === 'directive.proposed') {
    const d = o(p.directive);
    const id = s(d.directive_id);
    if (id === null) return;
    const prev = map.get(id);
    map.set(id, {
      directive_id: id, type: s(d.type), objective: s(d.objective), issued_by: s(d.issued_by), role: s(d.role), scope: d.scope ?? null,
      budget: d.budget ?? null, timebox: d.timebox ?? null, payload: d.payload ?? null, status: 'proposed', proposed_seq: e.seq, proposed_ms: e.time_ms,
      updated_ms: e.time_ms, evaluations: prev?.evaluations ?? [], history: prev?.history ?? [], runs: prev?.runs ?? [],
    });
    return;
  }
  const id = s(p.directive_id);
  const d = id === null ? undefined : map.get(id);
  if (d === undefined) return;
  d.updated_ms = e.time_ms;
  if (e.type === 'policy.evaluated') {
    d.evaluations.push({ seq: e.seq, time_ms: e.time_ms, policy_version: p.policy_version ?? null, verdict: s(p.verdict) ?? '?', results: p.results ?? [], artifact_hash: p.artifact_hash ?? null });
  } else if (e.type === 'directive.status_changed') {
    const to = s(p.to) ?? d.status;
    d.history.push({ seq: e.seq, time_ms: e.time_ms, from: s(p.from) ?? '?', to, by: s(p.by) ?? '?', reason: s(p.reason) ?? '', human_override: p.human_override === true, note: p.note ?? null });
    d.status = to;
  } else if (e.type === 'execution.status_changed') {
    const runId = s(p.run_id) ?? '?';
    const run = d.runs.find((r) => r.run_id === runId);
    const status = s(p.to) ?? '?';
    if (run) {
      run.status = status;
      run.detail = p.detail ?? null;
      run.seq = e.seq;
    } else d.runs.push({ run_id: runId, module: s(p.module) ?? '?', status, detail: p.detail ?? null, seq: e.seq });
  }
}

interface StreamDirectives {
  seq: number;
  map: Map<string, DirectiveView>;
}

export class DirectiveIndex {
  private readonly streams = new Map<string, StreamDirectives>();

  constructor(private readonly db: Db) {}

  /** Every directive of `stream` up to `headSeq`, oldest first. */
  async list(stream: string, headSeq: number): Promise<DirectiveView[]> {
    let sd = this.streams.get(stream);
    if (sd === undefined) {
      sd = { seq: 0, map: new Map() };
      this.streams.set(stream, sd);
    }
    let after: number | null = sd.seq;
    while (after !== null && after < headSeq) {
      const page = await typedPage(this.db, stream, { types: GOVERNANCE_TYPES, afterSeq: after, toSeq: headSeq, limit: PAGE_LIMIT_MAX, headSeq });
      for (const e of page.items) applyGovernance(sd.map, e);
      after = page.next_after_seq;
      sd.seq = after ?? headSeq;
    }
    if (sd.map.size > DIRECTIVES_PER_STREAM_MAX) {
      for (const [id, d] of sd.map) {
        if (sd.map.size <= DIRECTIVES_PER_STREAM_MAX) break;
        if (FINISHED.has(d.status)) sd.map.delete(id);
      }
    }
    return [...sd.map.values()];
  }
}

/** The exact CLI command that approves a waiting directive of a runtime book (none for a backtest: nothing runs it). */
export function approveCommand(stream: string, directiveId: string): string | null {
  if (!stream.startsWith('book:')) return null;
  return `warden directives approve ${directiveId} --book ${stream.slice('book:'.length)} --as <your-name>`;
}
