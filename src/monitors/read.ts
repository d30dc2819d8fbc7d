/**
 * The read model of audit:suggestions (contract: prompts/contracts.md), for the API, the daily
 * report and `warden monitors list`. One pass over the chain-verified stream (a tampered trail
 * fails closed with an IntegrityError naming audit:suggestions); memory is one verify batch, the
 * page asked for (at most LIST_SUGGESTIONS_LIMIT_MAX) and the open keys (bounded by
 * OPEN_SUGGESTIONS_MAX).
 *
 * Each item is one suggestion.raised with its fate: `cleared` is the suggestion.cleared that
 * closed it (the next clear of its key after it), or null while it is open. A clear carries no
 * book: it belongs to the raise it closes, so a book filter keeps both together.
 */
import type { EventStore } from '../store/event-store.js';
import {
  SUGGESTIONS_STREAM, SUGGESTION_CLEARED, SUGGESTION_RAISED, decodeCleared, decodeRaised,
  type Suggestion,
} from './suggestions.js';
import { IntegrityError } from '../store/errors.js';

export const LIST_SUGGESTIONS_LIMIT_MAX = 1000;
const VERIFY_BATCH = 2000;

export interface SuggestionItem extends Suggestion {
  /** The seq of the suggestion.raised in audit:suggestions (page with after_seq). */
  seq: number;
  cleared: null | { seq: number; observed_at_ms: number };
}

export interface ListSuggestionsOptions {
  /** Only suggestions about this book id (e.g. "main"; "book:main" is accepted too). */
  book?: string;
  /** Only suggestions raised at or after this wall-clock time. */
  since_ms?: number;
  /** Only suggestions raised before this wall-clock time (exclusive). */
  until_ms?: number;
  /** Only suggestions still open (paged over the open set, oldest first). */
  open_only?: boolean;
  /** 1..LIST_SUGGESTIONS_LIMIT_MAX, oldest first. */
  limit: number;
  /** Only raises with seq > after_seq (the next page starts after the last seq returned). */
  after_seq?: number;
}

export interface SuggestionPage {
  suggestions: SuggestionItem[];
  /** Pass as after_seq for the next page; null when this page is the last. */
  next_after_seq: number | null;
  /** The audit stream's verified head (0 when it does not exist yet). */
  head_seq: number;
  /** Suggestions open now (over the whole stream, matching `book` if given). */
  open_count: number;
}

function checkInt(name: string, v: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (v === undefined) return;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`listSuggestions: ${name} must be an integer ${min}..${max}, got ${v}`);
}

/** A page of suggestions, oldest first, each with its fate. */
export async function listSuggestions(store: EventStore, opts: ListSuggestionsOptions): Promise<SuggestionPage> {
  checkInt('limit', opts.limit, 1, LIST_SUGGESTIONS_LIMIT_MAX);
  checkInt('since_ms', opts.since_ms, 0);
  checkInt('until_ms', opts.until_ms, 0);
  checkInt('after_seq', opts.after_seq, 0);
  const book = opts.book === undefined ? undefined : opts.book.startsWith('book:') ? opts.book.slice('book:'.length) : opts.book;
  const after = opts.after_seq ?? 0;
  const page: SuggestionItem[] = [];
  let more = false;
  // The latest raise of each open key (to attach its clear; to count what is open).
  const open = new Map<string, { seq: number; s: Suggestion; item: SuggestionItem | null }>();
  const matches = (s: Suggestion, seq: number): boolean =>
    seq > after && (book === undefined || s.book === book) &&
    (opts.since_ms === undefined || s.observed_at_ms >= opts.since_ms) && (opts.until_ms === undefined || s.observed_at_ms < opts.until_ms);
  if ((await store.head(SUGGESTIONS_STREAM)) === null) return { suggestions: [], next_after_seq: null, head_seq: 0, open_count: 0 };
  const r = await store.verify(SUGGESTIONS_STREAM, undefined, VERIFY_BATCH, (e) => {
    if (e.type === SUGGESTION_RAISED) {
      const s = decodeRaised(e);
      let item: SuggestionItem | null = null;
      if (!opts.open_only && matches(s, e.seq)) {
        if (page.length < opts.limit) {
          item = { ...s, seq: e.seq, cleared: null };
          page.push(item);
        } else {
          more = true;
        }
      }
      open.set(s.key, { seq: e.seq, s, item });
    } else if (e.type === SUGGESTION_CLEARED) {
      const c = decodeCleared(e);
      const o = open.get(c.key);
      if (o?.item) o.item.cleared = { seq: e.seq, observed_at_ms: c.observed_at_ms };
      open.delete(c.key);
    } else {
      throw new IntegrityError(`${SUGGESTIONS_STREAM} seq ${e.seq}: ${e.type} is not an event of ${SUGGESTIONS_STREAM}`, SUGGESTIONS_STREAM, e.seq);
    }
  });
  let open_count = 0;
  for (const o of open.values()) if (book === undefined || o.s.book === book) open_count++;
  if (opts.open_only) {
    // Whether a raise is still open is known only at the end: page over the open set (bounded).
    const still = [...open.values()].filter((o) => matches(o.s, o.seq)).sort((a, b) => a.seq - b.seq);
    for (const o of still.slice(0, opts.limit)) page.push({ ...o.s, seq: o.seq, cleared: null });
    more = still.length > opts.limit;
  }
  return { suggestions: page, next_after_seq: more && page.length > 0 ? page[page.length - 1]!.seq : null, head_seq: r.head_seq, open_count };
}
