/**
 * What went wrong and what the monitors noticed: a book's ticks with task outcomes (the kernel's
 * tick.completed events: written only for a tick that did not end OK) and the monitors'
 * suggestions (audit:suggestions, read through the monitors' own read model,
 * src/monitors/read.ts listSuggestions). Both paged; both reads only.
 */
import type { FastifyInstance } from 'fastify';
import type { CanonicalValue } from '../../core/canonical/index.js';
import { listSuggestions } from '../../monitors/read.js';
import { IntegrityError } from '../../store/errors.js';
import { HttpError, requireBook, type ApiContext } from '../context.js';
import { PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, PAGE_SCAN_ROWS_MAX } from '../limits.js';
import { typedPage } from '../reads.js';
import { objectReply, streamParams, suggestionsQuery, ticksQuery, ticksReply } from '../schemas.js';

type TicksReq = { Params: { stream: string }; Querystring: { status?: 'DEGRADED' | 'HALTED'; from_ms?: number; to_ms?: number; after_seq?: number; limit?: number } };
type SuggestionsReq = { Querystring: { book?: string; since_ms?: number; open?: boolean; after_seq?: number; limit?: number } };

type Obj = Record<string, CanonicalValue>;
const obj = (v: CanonicalValue | undefined): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: CanonicalValue | undefined): string => (typeof v === 'string' ? v : '');

export interface TickOutcome {
  seq: number;
  time_ms: number;
  status: 'DEGRADED' | 'HALTED';
  tasks: Array<{ task: string; outcome: string; reason: string }>;
}

function tickOf(e: { seq: number; time_ms: number; payload: CanonicalValue }): TickOutcome {
  const p = obj(e.payload);
  const tasks = Array.isArray(p.tasks) ? p.tasks.map((t) => ({ task: str(obj(t).task), outcome: str(obj(t).outcome), reason: str(obj(t).reason) })) : [];
  return { seq: e.seq, time_ms: e.time_ms, status: p.status === 'HALTED' ? 'HALTED' : 'DEGRADED', tasks };
}

export function registerOutcomeRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<TicksReq>('/api/books/:stream/ticks', { schema: { params: streamParams, querystring: ticksQuery, response: ticksReply } }, async (req) => {
    const b = await requireBook(ctx, req.params.stream);
    const q = req.query;
    if (q.from_ms !== undefined && q.to_ms !== undefined && q.to_ms < q.from_ms) throw new HttpError(400, `to_ms ${q.to_ms} is before from_ms ${q.from_ms}`);
    const limit = q.limit ?? PAGE_LIMIT_DEFAULT;
    const items: TickOutcome[] = [];
    let after = q.after_seq ?? 0;
    let scanned = 0;
    // The status is in the payload: pages are read and filtered until the page is full, the log ends, or PAGE_SCAN_ROWS_MAX rows were examined.
    for (;;) {
      const page = await typedPage(ctx.db, b.stream, {
        types: ['tick.completed'], afterSeq: after, toSeq: null, headSeq: b.head_seq, fromMs: q.from_ms ?? null, toMs: q.to_ms ?? null,
        limit: q.status === undefined ? limit : PAGE_LIMIT_MAX,
      });
      for (const e of page.items) {
        scanned++;
        const t = tickOf(e);
        if (q.status === undefined || t.status === q.status) items.push(t);
        if (items.length === limit) return { stream: b.stream, head_seq: b.head_seq, items, next_after_seq: e.seq };
      }
      if (page.next_after_seq === null) return { stream: b.stream, head_seq: b.head_seq, items, next_after_seq: null };
      after = page.next_after_seq;
      if (scanned >= PAGE_SCAN_ROWS_MAX) return { stream: b.stream, head_seq: b.head_seq, items, next_after_seq: after };
    }
  });

  app.get<SuggestionsReq>('/api/suggestions', { schema: { querystring: suggestionsQuery, response: objectReply } }, async (req) => {
    const q = req.query;
    try {
      const page = await listSuggestions(ctx.store, {
        book: q.book, since_ms: q.since_ms, open_only: q.open === true, after_seq: q.after_seq, limit: q.limit ?? PAGE_LIMIT_DEFAULT,
      });
      return { stream: 'audit:suggestions', ...page };
    } catch (e) {
      if (e instanceof IntegrityError) throw new HttpError(500, `audit:suggestions cannot be trusted: ${e.message} (warden replay verify names the same)`);
      throw e;
    }
  });
}
