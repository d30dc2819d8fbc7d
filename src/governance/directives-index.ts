/**
 * The directives read model (./directives.ts) kept per stream for a long-lived reader (the
 * read-only API): each stream's fold is kept and advanced with only the governance events
 * appended since the last request (EventStore.readTypesPaged after the fold's seq), with the full
 * record of every directive (bounded: DIRECTIVE_RECORDS_PER_STREAM_MAX). A stream whose log does
 * not fit the contract throws DirectiveLogError (naming the seq and field) and is folded anew at
 * the next request, never half-kept. Reads only.
 */
import type { EventStore } from '../store/event-store.js';
import { DirectivesFold, EVERY_DIRECTIVE, foldPages, type DirectiveRecord, type DirectiveSummary } from './directives.js';
import { GOVERNANCE_EVENT_TYPES, type DirectiveStatus } from './limits.js';

/** Full directive records kept per stream (the oldest finished ones are dropped first; their summaries stay). */
export const DIRECTIVE_RECORDS_PER_STREAM_MAX = 10_000;
/** Streams whose folds are kept (the least recently read is dropped; it is folded again when asked). */
export const DIRECTIVE_STREAMS_MAX = 1_000;
const PAGE = 1_000;

export interface DirectiveEntry {
  summary: DirectiveSummary;
  /** null once dropped (DIRECTIVE_RECORDS_PER_STREAM_MAX). */
  record: DirectiveRecord | null;
}

export class DirectiveIndex {
  private readonly folds = new Map<string, DirectivesFold>();

  constructor(private readonly store: EventStore, private readonly recordsMax = DIRECTIVE_RECORDS_PER_STREAM_MAX) {}

  /** Every directive of `stream` (optionally of one status), in the order proposed, folded up to the stream's head at least. */
  async list(stream: string, status?: DirectiveStatus): Promise<DirectiveEntry[]> {
    let fold = this.folds.get(stream);
    this.folds.delete(stream);
    fold ??= new DirectivesFold(stream, EVERY_DIRECTIVE, this.recordsMax);
    await foldPages(fold, this.store.readTypesPaged(stream, GOVERNANCE_EVENT_TYPES, { afterSeq: fold.seq, pageSize: PAGE })); // throws: the fold is not kept
    this.folds.set(stream, fold);
    if (this.folds.size > DIRECTIVE_STREAMS_MAX) this.folds.delete(this.folds.keys().next().value!);
    return fold.records(status);
  }
}
