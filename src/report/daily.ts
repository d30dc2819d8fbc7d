/**
 * The daily operator report (`warden report daily`, seed 004 section 6: a start-of-day / end-of-
 * day view): for one book and one UTC day, from the book's own events and the store:
 *   - start and end of day: the last mark.recorded before the day and the last one in it (cash,
 *     positions at their closes, equity, drawdown, tier) and the unrealized P&L of the open lots
 *     then (qty left x close - their cost with entry fees: the API's definition);
 *   - the day's fills, realized P&L (lot.consumed, net of entry and exit fees) and fees;
 *   - directives proposed or changed that day: their status changes that day (who, why), the
 *     latest policy verdict and their status now (the one directive read model,
 *     src/governance/directives.ts);
 *   - ticks that did not end OK (tick.completed), tier changes, operator commands, epochs;
 *   - suggestions raised that day (audit:suggestions) about the book, its series or the feeds;
 *   - data health per series of the book: candles that day against the expected count, missing
 *     runs, gate rejections (ingest_batches not accepted, touching the day), CTT.
 * Money is exact decimal text (rounded at cents only by the text rendering, ./daily-text.ts).
 *
 * Memory and reads are bounded: the day's events are streamed in pages of DAY_PAGE_EVENTS (keyset
 * on seq, filtered on event time), lots are folded from their two event types only up to the end
 * of day (open lots in memory), governance events are folded by type; lists are capped (*_MAX)
 * with a `truncated` flag, never silently.
 */
import { resolveBook } from '../core/book/index.js';
import { BOOK_ID_RE } from '../core/book/limits.js';
import type { CanonicalValue } from '../core/canonical/index.js';
import { decodeEventBody } from '../core/events/index.js';
import { Decimal } from '../core/money/index.js';
import { foldDirectives } from '../governance/directives.js';
import { GOVERNANCE_EVENT_TYPES } from '../governance/limits.js';
import { listSuggestions, type SuggestionItem } from '../monitors/read.js';
import { seriesName } from '../monitors/checks.js';
import type { Db } from '../store/db.js';
import { byteaColumn, bytesOf, type EventStore } from '../store/event-store.js';
import { seriesHealth, type SeriesHealth } from './daily-health.js';
import { DAY_MS, DailyReportError, dec, int, str, type Payload, type Row } from './daily-shared.js';

export { DAY_MS, DailyReportError } from './daily-shared.js';
import { openLotsAt, unrealizedAt } from './daily-lots.js';

export type { SeriesHealth } from './daily-health.js';

export const DAY_PAGE_EVENTS = 1000;
export const DAILY_FILLS_LISTED_MAX = 5000;
export const DAILY_DIRECTIVES_LISTED_MAX = 2000;
export const DAILY_ITEMS_LISTED_MAX = 1000;
export const DAILY_SUGGESTIONS_MAX = 1000;


export interface DayView {
  /** The mark this view is (null: none yet, the book's initial cash). */
  mark_seq: number | null;
  mark_time_ms: number | null;
  cash: string | null;
  equity: string | null;
  positions: { symbol: string; qty: string; close: string; value: string }[];
  unrealized_pnl: string;
  drawdown_pct: string | null;
  tier: string | null;
}

export interface DailyFill {
  seq: number; time_ms: number; fill_id: string; order_id: string; symbol: string; side: string; qty: string; price: string; cost: string; fee: string;
}

export interface DailyDirective {
  directive_id: string;
  type: string | null;
  issued_by: string | null;
  proposed_ms: number | null;
  /** Status changes recorded that day (the proposal included when it was that day). */
  changes: { seq: number; time_ms: number; from: string; to: string; by: string; reason: string }[];
  /** Who approved or rejected it that day (the `by` of a change to approved or blocked by an operator), else null. */
  decided_by: string | null;
  verdict: string | null;
  status_end_of_day: string | null;
  status_now: string | null;
}


export interface DailyReport {
  book: string;
  stream: string;
  date: string;
  from_ms: number;
  to_ms: number;
  date_defaulted: boolean;
  events: { count: number; first_seq: number | null; last_seq: number | null };
  start_of_day: DayView;
  end_of_day: DayView;
  pnl: { realized: string; fees: string; unrealized_change: string; equity_change: string | null };
  fills: { count: number; buys: number; sells: number; bought_cost: string; sold_cost: string; listed: DailyFill[]; truncated: boolean };
  directives: { count: number; listed: DailyDirective[]; truncated: boolean };
  ticks_not_ok: { seq: number; time_ms: number; status: string; tasks: CanonicalValue }[];
  tier_changes: { seq: number; time_ms: number; from: string; to: string; drawdown_pct: string }[];
  operator_commands: { seq: number; time_ms: number; type: string; command: string; by: string }[];
  epochs: { seq: number; time_ms: number; payload: CanonicalValue }[];
  suggestions: { count: number; listed: SuggestionItem[]; truncated: boolean };
  data_health: SeriesHealth[];
}

function rowOf(r: Record<string, unknown>): Row {
  const p = decodeEventBody(bytesOf(r.body)).payload;
  return { seq: int(r.seq), type: String(r.type), time_ms: int(r.time_ms), payload: (p !== null && typeof p === 'object' && !Array.isArray(p) ? p : {}) as Payload };
}

/** Parses YYYY-MM-DD as a real UTC day (64 naming the option otherwise). */
export function parseDay(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || !Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== text || Number(m[1]) < 1970) {
    throw new DailyReportError(`--date ${JSON.stringify(text)}: expected a UTC day YYYY-MM-DD that exists (e.g. 2023-02-01)`, 64);
  }
  return ms;
}

/** The stream a --book names: an id (book:<id>) or a stream name (backtest:<id>:<run>). */
export function bookStreamOf(book: string): string {
  if (book.startsWith('book:') || book.startsWith('backtest:')) return book;
  if (!BOOK_ID_RE.test(book)) throw new DailyReportError(`--book ${JSON.stringify(book)}: expected a book id (lower-case letters, digits, _ . -, 1-64 characters) or a stream such as backtest:<id>:<run>`, 64);
  return `book:${book}`;
}

async function one(db: Db, sql: string, params: unknown[]): Promise<Row | null> {
  const [r] = await db.query<Record<string, unknown>>(sql, params);
  return r ? rowOf(r) : null;
}

const SELECT = (db: Db) => `SELECT seq, type, time_ms, ${byteaColumn(db.engine, 'body')} FROM events`;

function viewOf(mark: Row | null, initialCash: string | null, unrealized: Decimal): DayView {
  if (mark === null) {
    return { mark_seq: null, mark_time_ms: null, cash: initialCash, equity: initialCash, positions: [], unrealized_pnl: unrealized.toString(), drawdown_pct: null, tier: null };
  }
  const p = mark.payload;
  const positions = (Array.isArray(p.positions) ? p.positions : []).map((x) => {
    const o = x as Payload;
    return { symbol: str(o.symbol), qty: str(o.qty), close: str(o.close), value: str(o.value) };
  });
  return {
    mark_seq: mark.seq, mark_time_ms: mark.time_ms, cash: str(p.cash), equity: str(p.equity), positions, unrealized_pnl: unrealized.toString(),
    drawdown_pct: str(p.drawdown_pct), tier: str(p.tier),
  };
}

/** Builds the daily report of `book` (an id or a stream) for `date` (YYYY-MM-DD; default: the day of its latest tick). */
export async function dailyReport(db: Db, store: EventStore, opts: { book: string; date?: string }): Promise<DailyReport> {
  const stream = bookStreamOf(opts.book);
  const head = await store.head(stream);
  if (head === null) throw new DailyReportError(`no stream ${stream} in ${db.description}: check --book (warden book status, warden data status)`, 1);
  const book = stream.startsWith('book:') ? stream.slice('book:'.length) : stream;

  let from_ms: number;
  if (opts.date !== undefined) {
    from_ms = parseDay(opts.date);
  } else {
    const latest = (await one(db, `${SELECT(db)} WHERE stream = $1 AND type = 'mark.recorded' ORDER BY seq DESC LIMIT 1`, [stream]))
      ?? (await one(db, `${SELECT(db)} WHERE stream = $1 AND seq = $2`, [stream, head.seq]));
    from_ms = Math.floor(latest!.time_ms / DAY_MS) * DAY_MS;
  }
  const to_ms = from_ms + DAY_MS;
  const date = new Date(from_ms).toISOString().slice(0, 10);

  const started = await one(db, `${SELECT(db)} WHERE stream = $1 AND type = 'book.started' ORDER BY seq LIMIT 1`, [stream]);
  const initialCash = started ? str(started.payload.initial_cash) : null;
  let symbols: string[] = [];
  let interval_s: number | null = null;
  if (started) {
    const b = resolveBook(started.payload.config);
    symbols = [...b.symbols];
    interval_s = b.interval_s;
  }
  const sodMark = await one(db, `${SELECT(db)} WHERE stream = $1 AND type = 'mark.recorded' AND time_ms < $2 ORDER BY seq DESC LIMIT 1`, [stream, from_ms]);

  // The day's events, streamed.
  const r: Omit<DailyReport, 'start_of_day' | 'end_of_day' | 'pnl' | 'suggestions' | 'data_health' | 'directives'> = {
    book, stream, date, from_ms, to_ms, date_defaulted: opts.date === undefined,
    events: { count: 0, first_seq: null, last_seq: null },
    fills: { count: 0, buys: 0, sells: 0, bought_cost: '0', sold_cost: '0', listed: [], truncated: false },
    ticks_not_ok: [], tier_changes: [], operator_commands: [], epochs: [],
  };
  let realized = Decimal.ZERO;
  let fees = Decimal.ZERO;
  let bought = Decimal.ZERO;
  let sold = Decimal.ZERO;
  let eodMark: Row | null = null;
  const dayDirectives = new Map<string, DailyDirective>();
  const touch = (id: string): DailyDirective => {
    let d = dayDirectives.get(id);
    if (!d) {
      d = { directive_id: id, type: null, issued_by: null, proposed_ms: null, changes: [], decided_by: null, verdict: null, status_end_of_day: null, status_now: null };
      dayDirectives.set(id, d);
    }
    return d;
  };
  const capped = <T>(list: T[], item: T): boolean => {
    if (list.length >= DAILY_ITEMS_LISTED_MAX) return false;
    list.push(item);
    return true;
  };
  let after = 0;
  for (;;) {
    const rows = await db.query<Record<string, unknown>>(
      `${SELECT(db)} WHERE stream = $1 AND seq > $2 AND time_ms >= $3 AND time_ms < $4 ORDER BY seq LIMIT $5`, [stream, after, from_ms, to_ms, DAY_PAGE_EVENTS],
    );
    for (const raw of rows) {
      const e = rowOf(raw);
      const p = e.payload;
      r.events.count++;
      r.events.first_seq ??= e.seq;
      r.events.last_seq = e.seq;
      switch (e.type) {
        case 'fill.executed': {
          r.fills.count++;
          const cost = dec(p.cost, 'cost');
          fees = fees.add(dec(p.fee, 'fee'));
          if (p.side === 'buy') {
            r.fills.buys++;
            bought = bought.add(cost);
          } else {
            r.fills.sells++;
            sold = sold.add(cost);
          }
          const f: DailyFill = {
            seq: e.seq, time_ms: e.time_ms, fill_id: str(p.fill_id), order_id: str(p.order_id), symbol: str(p.symbol), side: str(p.side), qty: str(p.qty),
            price: str(p.price), cost: str(p.cost), fee: str(p.fee),
          };
          if (r.fills.listed.length < DAILY_FILLS_LISTED_MAX) r.fills.listed.push(f);
          else r.fills.truncated = true;
          break;
        }
        case 'lot.consumed':
          realized = realized.add(dec(p.realized_pnl, 'realized_pnl'));
          break;
        case 'mark.recorded':
          eodMark = e;
          break;
        case 'directive.proposed': {
          const d = p.directive as Payload;
          const x = touch(str(d.directive_id));
          x.type = str(d.type);
          x.issued_by = str(d.issued_by);
          x.proposed_ms = e.time_ms;
          x.changes.push({ seq: e.seq, time_ms: e.time_ms, from: 'draft', to: 'proposed', by: str(d.issued_by), reason: 'proposed' });
          x.status_end_of_day = 'proposed';
          break;
        }
        case 'directive.status_changed': {
          const x = touch(str(p.directive_id));
          const by = str(p.by);
          x.changes.push({ seq: e.seq, time_ms: e.time_ms, from: str(p.from), to: str(p.to), by, reason: str(p.reason) });
          x.status_end_of_day = str(p.to);
          if ((p.to === 'approved' || p.to === 'blocked') && by.startsWith('operator:')) x.decided_by = by;
          break;
        }
        case 'policy.evaluated':
          touch(str(p.directive_id)).verdict = str(p.verdict);
          break;
        case 'tick.completed':
          capped(r.ticks_not_ok, { seq: e.seq, time_ms: e.time_ms, status: str(p.status), tasks: p.tasks ?? [] });
          break;
        case 'risk.tier_changed':
          capped(r.tier_changes, { seq: e.seq, time_ms: e.time_ms, from: str(p.from), to: str(p.to), drawdown_pct: str(p.drawdown_pct) });
          break;
        case 'operator.command_applied':
        case 'operator.command_rejected':
          capped(r.operator_commands, { seq: e.seq, time_ms: e.time_ms, type: e.type, command: str(p.command), by: str(p.issued_by) });
          break;
        case 'epoch.advanced':
          capped(r.epochs, { seq: e.seq, time_ms: e.time_ms, payload: p });
          break;
        default:
          break;
      }
    }
    if (rows.length < DAY_PAGE_EVENTS) break;
    after = int(rows[rows.length - 1]!.seq);
  }
  r.fills.bought_cost = bought.toString();
  r.fills.sold_cost = sold.toString();

  // Start and end of day, with the open lots' unrealized P&L at each mark.
  const endMark = eodMark ?? sodMark;
  const [lotsSod, lotsEod] = await openLotsAt(store, stream, sodMark?.seq ?? 0, endMark?.seq ?? 0);
  const start_of_day = viewOf(sodMark, initialCash, unrealizedAt(lotsSod, sodMark));
  const end_of_day = viewOf(endMark, initialCash, unrealizedAt(lotsEod, endMark));
  const equityChange = start_of_day.equity !== null && end_of_day.equity !== null ? Decimal.parse(end_of_day.equity).sub(Decimal.parse(start_of_day.equity)).toString() : null;
  const pnl = {
    realized: realized.toString(), fees: fees.toString(),
    unrealized_change: Decimal.parse(end_of_day.unrealized_pnl).sub(Decimal.parse(start_of_day.unrealized_pnl)).toString(), equity_change: equityChange,
  };

  // Directives: the day's, with their verdict and status now from the one read model.
  const listed = [...dayDirectives.values()];
  if (listed.length > 0) {
    const fold = await foldDirectives(stream, store.readTypesPaged(stream, GOVERNANCE_EVENT_TYPES, { pageSize: 1000 }));
    for (const d of listed) {
      const s = fold.summary(d.directive_id);
      if (s === null) continue;
      d.type ??= s.type;
      d.issued_by ??= s.issued_by;
      d.proposed_ms ??= s.proposed_ms;
      d.verdict = s.verdict ?? d.verdict;
      d.status_now = s.status;
    }
  }
  const directives = { count: listed.length, listed: listed.slice(0, DAILY_DIRECTIVES_LISTED_MAX), truncated: listed.length > DAILY_DIRECTIVES_LISTED_MAX };

  // Suggestions raised that day about this book, its series, or the feeds.
  const mine = new Set(interval_s === null ? [] : symbols.map((s) => seriesName(s, interval_s!)));
  const suggestions: DailyReport['suggestions'] = { count: 0, listed: [], truncated: false };
  let afterSeq = 0;
  for (let pages = 0; ; pages++) {
    const page = await listSuggestions(store, { since_ms: from_ms, until_ms: to_ms, limit: 1000, after_seq: afterSeq });
    for (const s of page.suggestions) {
      if (!(s.book === book || (s.book === null && (s.series === null || mine.has(s.series))))) continue;
      suggestions.count++;
      if (suggestions.listed.length < DAILY_SUGGESTIONS_MAX) suggestions.listed.push(s);
      else suggestions.truncated = true;
    }
    if (page.next_after_seq === null || pages >= 100) break;
    afterSeq = page.next_after_seq;
  }

  const data_health: SeriesHealth[] = [];
  if (interval_s !== null) for (const s of symbols) data_health.push(await seriesHealth(db, s, interval_s, from_ms, to_ms));

  return { ...r, start_of_day, end_of_day, pnl, directives, suggestions, data_health };
}
