/**
 * The directives read model: what `warden directives list|show` print and what approve/reject
 * check before they record anything. Folded from a book stream's governance events only
 * (GOVERNANCE_EVENT_TYPES, streamed in pages by EventStore.readTypes), each payload parsed against
 * the contract (./schemas.ts). The fold re-checks what the kernel guarantees: a directive is
 * proposed once, every status change starts from the status the log left it in and is one of the
 * lifecycle's transitions, every evaluation and run names a known directive; a misfit is a
 * DirectiveLogError naming the seq and field (exit 65), never a guess.
 *
 * Memory: one small summary per directive, plus the full record (evaluations, history, runs) of
 * the one directive asked for (`show`), or of every directive (EVERY_DIRECTIVE: the read-only
 * API, which folds a stream incrementally and keeps at most `detailsMax` records, dropping the
 * oldest finished directive's record first), never the stream's events. This is the only
 * directive read model: the CLI and the API (src/api/routes/governance.ts) both read it.
 */
import type { CanonicalValue } from '../core/canonical/index.js';
import { DIRECTIVE_TRANSITIONS, GOVERNANCE_EVENT_TYPES, type DirectiveStatus, type RunStatus } from './limits.js';
import { DirectiveLogError } from './errors.js';
import { parseGovernancePayload, type PayloadOf } from './schemas.js';

/** The part of a stored event the fold reads. */
export interface GovEvent {
  readonly seq: number;
  readonly type: string;
  readonly time_ms: number;
  readonly payload: CanonicalValue;
}

export interface StatusChange {
  seq: number;
  time_ms: number;
  from: DirectiveStatus;
  to: DirectiveStatus;
  by: string;
  reason: string;
  human_override: boolean;
  note: string | null;
}

export interface Evaluation {
  seq: number;
  time_ms: number;
  policy_version: string | number;
  policy_hash: string;
  verdict: 'ALLOW' | 'BLOCK' | 'NEEDS_APPROVAL';
  results: { rule: string; verdict: string; reason: string }[];
  artifact_hash: string;
}

export interface RunRecord {
  run_id: string;
  module: string;
  status: RunStatus;
  history: { seq: number; time_ms: number; from: RunStatus | null; to: RunStatus; detail: unknown }[];
}

export interface DirectiveSummary {
  directive_id: string;
  type: string;
  issued_by: string;
  objective: string | null;
  status: DirectiveStatus;
  proposed_seq: number;
  proposed_ms: number;
  /** The latest status change (the proposal if none since). */
  last: { seq: number; time_ms: number; by: string; reason: string; human_override: boolean };
  /** The latest policy verdict, or null before any evaluation. */
  verdict: Evaluation['verdict'] | null;
}

export interface DirectiveRecord extends DirectiveSummary {
  /** The directive as proposed (every field as written). */
  directive: Record<string, unknown>;
  evaluations: Evaluation[];
  /** Every status change, the proposal (draft -> proposed, by the issuer) first. */
  history: StatusChange[];
  runs: RunRecord[];
}

export interface PolicyVersion {
  version: string | number;
  hash: string;
  by: string;
  seq: number;
  time_ms: number;
}

/** `detailOf` for a fold that keeps the full record of every directive (bounded by `detailsMax`). */
export const EVERY_DIRECTIVE = Symbol('every directive');
/** Statuses a directive never leaves: its record may be dropped first when records are bounded. */
export const FINISHED_STATUSES: ReadonlySet<DirectiveStatus> = new Set(['complete', 'aborted', 'blocked']);

const ALLOWED = new Set(DIRECTIVE_TRANSITIONS.map(([a, b]) => `${a}->${b}`));

export class DirectivesFold {
  private readonly summaries = new Map<string, DirectiveSummary>();
  /** Full records kept (one for `show`, every one up to detailsMax for EVERY_DIRECTIVE), in the order proposed. */
  private readonly details = new Map<string, DirectiveRecord>();
  policy: PolicyVersion | null = null;
  /** The last seq folded. */
  seq = 0;

  /**
   * `detailOf`: the directive whose full record is kept (show), EVERY_DIRECTIVE (the API), or null
   * (list). `detailsMax`: records kept at most with EVERY_DIRECTIVE (summaries are always kept).
   */
  constructor(readonly stream: string, private readonly detailOf: string | null | typeof EVERY_DIRECTIVE = null, private readonly detailsMax = Number.MAX_SAFE_INTEGER) {}

  /** The kept record of `id`, if any. */
  private detail(id: string): DirectiveRecord | undefined {
    return this.details.get(id);
  }

  apply(e: GovEvent): void {
    if (e.seq <= this.seq) throw new DirectiveLogError(this.stream, e.seq, e.type, `events out of order (after seq ${this.seq})`);
    this.seq = e.seq;
    switch (e.type) {
      case 'directive.proposed':
        return this.proposed(e, parseGovernancePayload(this.stream, e.seq, 'directive.proposed', e.payload));
      case 'policy.evaluated':
        return this.evaluated(e, parseGovernancePayload(this.stream, e.seq, 'policy.evaluated', e.payload));
      case 'directive.status_changed':
        return this.statusChanged(e, parseGovernancePayload(this.stream, e.seq, 'directive.status_changed', e.payload));
      case 'execution.status_changed':
        return this.runChanged(e, parseGovernancePayload(this.stream, e.seq, 'execution.status_changed', e.payload));
      case 'policy.changed': {
        const p = parseGovernancePayload(this.stream, e.seq, 'policy.changed', e.payload);
        this.policy = { version: p.version, hash: p.hash, by: p.by, seq: e.seq, time_ms: e.time_ms };
        return;
      }
      default:
        throw new DirectiveLogError(this.stream, e.seq, e.type, `not a governance event (expected one of ${GOVERNANCE_EVENT_TYPES.join(', ')})`);
    }
  }

  private known(e: GovEvent, id: string, field = 'payload.directive_id'): DirectiveSummary {
    const s = this.summaries.get(id);
    if (!s) throw new DirectiveLogError(this.stream, e.seq, e.type, `${field}: directive ${id} was never proposed in this stream`);
    return s;
  }

  private proposed(e: GovEvent, p: PayloadOf<'directive.proposed'>): void {
    const d = p.directive;
    const before = this.summaries.get(d.directive_id);
    if (before) throw new DirectiveLogError(this.stream, e.seq, e.type, `payload.directive.directive_id: ${d.directive_id} was already proposed at seq ${before.proposed_seq}`);
    const s: DirectiveSummary = {
      directive_id: d.directive_id, type: d.type, issued_by: d.issued_by, objective: d.objective, status: 'proposed',
      proposed_seq: e.seq, proposed_ms: e.time_ms, last: { seq: e.seq, time_ms: e.time_ms, by: d.issued_by, reason: 'proposed', human_override: false }, verdict: null,
    };
    this.summaries.set(d.directive_id, s);
    if (d.directive_id === this.detailOf || this.detailOf === EVERY_DIRECTIVE) {
      this.details.set(d.directive_id, {
        ...s, last: { ...s.last }, directive: { ...d }, evaluations: [], runs: [],
        history: [{ seq: e.seq, time_ms: e.time_ms, from: 'draft', to: 'proposed', by: d.issued_by, reason: 'proposed', human_override: false, note: null }],
      });
      this.boundDetails();
    }
  }

  /** Drops the oldest finished directives' records while more than detailsMax are kept. */
  private boundDetails(): void {
    if (this.details.size <= this.detailsMax) return;
    for (const [id, r] of this.details) {
      if (this.details.size <= this.detailsMax) return;
      if (FINISHED_STATUSES.has(r.status)) this.details.delete(id);
    }
  }

  private evaluated(e: GovEvent, p: PayloadOf<'policy.evaluated'>): void {
    const s = this.known(e, p.directive_id);
    s.verdict = p.verdict;
    const detail = this.detail(p.directive_id);
    if (detail) {
      detail.verdict = p.verdict;
      detail.evaluations.push({
        seq: e.seq, time_ms: e.time_ms, policy_version: p.policy_version, policy_hash: p.policy_hash, verdict: p.verdict, results: [...p.results], artifact_hash: p.artifact_hash,
      });
    }
  }

  private statusChanged(e: GovEvent, p: PayloadOf<'directive.status_changed'>): void {
    const s = this.known(e, p.directive_id);
    if (p.from !== s.status) {
      throw new DirectiveLogError(this.stream, e.seq, e.type, `payload.from: ${p.directive_id} changes from ${p.from}, but the log left it ${s.status} (seq ${s.last.seq})`);
    }
    if (!ALLOWED.has(`${p.from}->${p.to}`)) throw new DirectiveLogError(this.stream, e.seq, e.type, `payload.to: ${p.from} -> ${p.to} is not a directive transition`);
    s.status = p.to;
    s.last = { seq: e.seq, time_ms: e.time_ms, by: p.by, reason: p.reason, human_override: p.human_override };
    const detail = this.detail(p.directive_id);
    if (detail) {
      detail.status = p.to;
      detail.last = { ...s.last };
      detail.history.push({ seq: e.seq, time_ms: e.time_ms, from: p.from, to: p.to, by: p.by, reason: p.reason, human_override: p.human_override, note: p.note });
    }
  }

  private runChanged(e: GovEvent, p: PayloadOf<'execution.status_changed'>): void {
    this.known(e, p.directive_id);
    const detail = this.detail(p.directive_id);
    if (!detail) return;
    let run = detail.runs.find((r) => r.run_id === p.run_id);
    if (run && p.from !== run.status) {
      throw new DirectiveLogError(this.stream, e.seq, e.type, `payload.from: run ${p.run_id} changes from ${String(p.from)}, but the log left it ${run.status}`);
    }
    if (!run) {
      run = { run_id: p.run_id, module: p.module, status: p.to, history: [] };
      detail.runs.push(run);
    }
    run.status = p.to;
    run.history.push({ seq: e.seq, time_ms: e.time_ms, from: p.from, to: p.to, detail: p.detail });
  }

  /** Every directive, in the order proposed (optionally of one status). */
  list(status?: DirectiveStatus): DirectiveSummary[] {
    const out: DirectiveSummary[] = [];
    for (const s of this.summaries.values()) if (status === undefined || s.status === status) out.push({ ...s, last: { ...s.last } });
    return out;
  }

  get count(): number {
    return this.summaries.size;
  }

  summary(id: string): DirectiveSummary | null {
    return this.summaries.get(id) ?? null;
  }

  /** The full record of the directive given to the constructor, or null if it was never proposed. */
  record(): DirectiveRecord | null {
    return typeof this.detailOf === 'string' ? (this.details.get(this.detailOf) ?? null) : null;
  }

  /**
   * With EVERY_DIRECTIVE: each directive in the order proposed (optionally of one status), as its
   * full record, or as its summary alone (`record: null`) once its record was dropped (detailsMax).
   */
  records(status?: DirectiveStatus): Array<{ summary: DirectiveSummary; record: DirectiveRecord | null }> {
    const out: Array<{ summary: DirectiveSummary; record: DirectiveRecord | null }> = [];
    for (const s of this.summaries.values()) {
      if (status === undefined || s.status === status) out.push({ summary: { ...s, last: { ...s.last } }, record: this.details.get(s.directive_id) ?? null });
    }
    return out;
  }
}

/** Folds every page of governance events (oldest first) into `fold` (new, or one folded up to its seq: only later events). */
export async function foldPages(fold: DirectivesFold, pages: AsyncIterable<readonly GovEvent[]>): Promise<DirectivesFold> {
  for await (const page of pages) for (const e of page) fold.apply(e);
  return fold;
}

/** Folds every page of governance events (oldest first) into a DirectivesFold. */
export async function foldDirectives(stream: string, pages: AsyncIterable<readonly GovEvent[]>, detailOf: string | null = null): Promise<DirectivesFold> {
  return foldPages(new DirectivesFold(stream, detailOf), pages);
}
