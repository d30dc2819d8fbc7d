/**
 * The operator port: everything the operator commands (`warden directives ...`, `warden book
 * pause|resume|flatten|status`) need from a book's store, as one interface with two
 * implementations: StoreOperator here (over an EventStore: the CLI opening the store itself, and
 * the running runtime serving its operator channel), and the channel client
 * (src/runtime/operator-client.ts) that asks a running runtime holding an embedded store. Both run
 * the same code on the store side, so a command behaves the same either way. Results are plain
 * JSON (they cross the channel as is).
 */
import { toHex } from '../core/canonical/hash.js';
import type { CanonicalValue } from '../core/canonical/index.js';
import type { EventStore } from '../store/event-store.js';
import type { QuarantineStatus } from '../replay/quarantine.js';
import { foldDirectives, type DirectiveRecord, type DirectiveSummary, type PolicyVersion } from './directives.js';
import { ANSWER_EVENT_TYPES, GOVERNANCE_EVENT_TYPES, type DirectiveStatus } from './limits.js';
import { parseGovernancePayload } from './schemas.js';
import type { BookSkills } from '../skills/read.js';
import type { EpochView } from './epochs.js';

/** A stream's head and its live writer lease (a runtime running the book holds it). */
export interface StreamView {
  stream: string;
  exists: boolean;
  head_seq: number;
  head_hash: string | null;
  /** The owner of a live writer lease, or null. */
  lease_owner: string | null;
}

export interface BookStatus extends StreamView {
  quarantined: boolean;
  quarantine: QuarantineStatus | null;
}

export interface DirectiveList {
  stream: string;
  /** Directives of the asked status (all statuses when none). */
  total: number;
  /** The newest `limit` of them, oldest first. */
  directives: DirectiveSummary[];
  policy: PolicyVersion | null;
  /** The last governance event folded. */
  seq: number;
}

/** How the running runtime answered one inbox command. */
export interface InboxOutcome {
  inbox_id: number;
  answer: 'applied' | 'rejected';
  seq: number;
  time_ms: number;
  command: string;
  issued_by: string;
  /** applied: the reason recorded; rejected: why. */
  detail: string;
  /** Directives proposed in the step that answered it (directive.propose). */
  proposed: string[];
}

export interface OperatorPort {
  /** How this port reaches the store, for messages ("the store", "the runtime's operator channel (pid N)"). */
  readonly via: string;
  /** True when this process holds the store alone (PGlite opened directly): no runtime can be running, whatever a lease says. */
  readonly exclusive: boolean;
  streamView(stream: string): Promise<StreamView>;
  bookStatus(stream: string): Promise<BookStatus>;
  appendInbox(stream: string, command: string, payload: CanonicalValue, issuedBy: string): Promise<{ inbox_id: number }>;
  listDirectives(stream: string, q: { status?: DirectiveStatus; limit: number }): Promise<DirectiveList>;
  showDirective(stream: string, id: string): Promise<DirectiveRecord | null>;
  /** Truth epochs: TE, mode, status, quarantine, the recorded config, CTT per series (src/governance/epochs.ts). */
  epochView(stream: string): Promise<EpochView>;
  /** The answer to inbox command `inboxId` among the events after `afterSeq`, or null; `after_seq`: where the next look starts. */
  inboxOutcome(stream: string, inboxId: number, afterSeq: number): Promise<{ outcome: InboxOutcome | null; after_seq: number }>;
  /** The skills a book binds, with their lifecycle state and history (src/skills/read.ts). */
  bookSkills(stream: string): Promise<BookSkills>;
}

const PAGE = 1000;
const OUTCOME_TYPES = ['step.started', 'directive.proposed', ...ANSWER_EVENT_TYPES];

export class StoreOperator implements OperatorPort {
  readonly via = 'the store';

  constructor(private readonly store: EventStore, readonly exclusive = false) {}

  async streamView(stream: string): Promise<StreamView> {
    const [r] = await this.store.db.query<{ head_seq: unknown; head_hash: Uint8Array | string; lease_owner: string | null; live: boolean }>(
      `SELECT head_seq, head_hash, lease_owner, (lease_owner IS NOT NULL AND lease_expires_at > now()) AS live FROM streams WHERE stream = $1`, [stream],
    );
    if (!r) return { stream, exists: false, head_seq: 0, head_hash: null, lease_owner: null };
    const hash = typeof r.head_hash === 'string' ? r.head_hash.replace(/^\\x/, '') : toHex(r.head_hash);
    return { stream, exists: true, head_seq: Number(r.head_seq), head_hash: hash, lease_owner: r.live ? r.lease_owner : null };
  }

  async bookStatus(stream: string): Promise<BookStatus> {
    const { quarantineStatus } = await import('../replay/quarantine.js');
    const view = await this.streamView(stream);
    const q = await quarantineStatus(this.store, stream);
    return { ...view, quarantined: q !== null, quarantine: q };
  }

  async appendInbox(stream: string, command: string, payload: CanonicalValue, issuedBy: string): Promise<{ inbox_id: number }> {
    return { inbox_id: await this.store.inboxAppend(stream, command, payload, issuedBy) };
  }

  async listDirectives(stream: string, q: { status?: DirectiveStatus; limit: number }): Promise<DirectiveList> {
    const fold = await foldDirectives(stream, this.store.readTypesPaged(stream, GOVERNANCE_EVENT_TYPES, { pageSize: PAGE }));
    const all = fold.list(q.status);
    return { stream, total: all.length, directives: all.slice(Math.max(0, all.length - q.limit)), policy: fold.policy, seq: fold.seq };
  }

  async bookSkills(stream: string): Promise<BookSkills> {
    const { foldBookSkills, SKILL_EVENT_TYPES } = await import('../skills/read.js');
    return foldBookSkills(stream, this.store.readTypesPaged(stream, SKILL_EVENT_TYPES, { pageSize: PAGE }));
  }

  async showDirective(stream: string, id: string): Promise<DirectiveRecord | null> {
    const fold = await foldDirectives(stream, this.store.readTypesPaged(stream, GOVERNANCE_EVENT_TYPES, { pageSize: PAGE }), id);
    return fold.record();
  }

  async epochView(stream: string): Promise<EpochView> {
    const { readEpochView } = await import('./epochs.js');
    return readEpochView(this.store, stream);
  }

  /**
   * Reads step.started, directive.proposed and the answers after `afterSeq`. A step is one
   * transaction, so once the answer is seen its whole step is there: the directives proposed in
   * it are collected up to the next step. Without an answer, the next look starts at the last
   * step seen (its proposals are read again with it), so nothing is scanned twice but that step.
   */
  async inboxOutcome(stream: string, inboxId: number, afterSeq: number): Promise<{ outcome: InboxOutcome | null; after_seq: number }> {
    let stepStart = afterSeq; // the seq before the step being read
    let inOurStep = false;
    let outcome: InboxOutcome | null = null;
    const proposed: string[] = [];
    let last = afterSeq;
    for await (const page of this.store.readTypesPaged(stream, OUTCOME_TYPES, { afterSeq, pageSize: PAGE })) {
      for (const e of page) {
        last = e.seq;
        if (e.type === 'step.started') {
          if (outcome) return { outcome: { ...outcome, proposed }, after_seq: e.seq - 1 };
          stepStart = e.seq - 1;
          inOurStep = parseGovernancePayload(stream, e.seq, 'step.started', e.payload).inbox_id === inboxId;
          proposed.length = 0;
        } else if (e.type === 'directive.proposed') {
          if (inOurStep) proposed.push(parseGovernancePayload(stream, e.seq, 'directive.proposed', e.payload).directive.directive_id);
        } else if (e.type === 'operator.command_applied') {
          const p = parseGovernancePayload(stream, e.seq, 'operator.command_applied', e.payload);
          if (p.inbox_id === inboxId) outcome = { inbox_id: inboxId, answer: 'applied', seq: e.seq, time_ms: e.time_ms, command: p.command, issued_by: p.issued_by, detail: p.reason, proposed: [] };
        } else {
          const p = parseGovernancePayload(stream, e.seq, 'operator.command_rejected', e.payload);
          if (p.inbox_id === inboxId) outcome = { inbox_id: inboxId, answer: 'rejected', seq: e.seq, time_ms: e.time_ms, command: p.command, issued_by: p.issued_by, detail: p.why, proposed: [] };
        }
      }
    }
    if (outcome) return { outcome: { ...outcome, proposed }, after_seq: last };
    return { outcome: null, after_seq: stepStart };
  }
}
