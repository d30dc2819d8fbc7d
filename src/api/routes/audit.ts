/**
 * Audit routes: a book's events (filter by type, seq range), its chain head, lease and quarantine,
 * and a chain verification on demand (GET: it reads and checks, it records nothing; `warden replay
 * verify` is the full proof and the one that quarantines).
 */
import type { FastifyInstance } from 'fastify';
import { requireBook, type ApiContext } from '../context.js';
import { PAGE_LIMIT_DEFAULT } from '../limits.js';
import { typedPage } from '../reads.js';
import { eventsQuery, noQuery, objectReply, pageReply, streamParams } from '../schemas.js';
import { toHex } from '../../core/canonical/hash.js';

type EventsReq = { Params: { stream: string }; Querystring: { after_seq?: number; to_seq?: number; limit?: number; type?: string; hashes?: boolean } };
type StreamReq = { Params: { stream: string } };

interface VerifyOutcome {
  ok: boolean;
  head_seq: number;
  head_hash: string | null;
  events: number;
  error: string | null;
  bad_seq: number | null;
  duration_ms: number;
  checked_at_ms: number;
}

export function registerAuditRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<EventsReq>('/api/books/:stream/events', { schema: { params: streamParams, querystring: eventsQuery, response: pageReply } }, async (req) => {
    const b = await requireBook(ctx, req.params.stream);
    const q = req.query;
    const page = await typedPage(ctx.db, b.stream, {
      types: q.type ? q.type.split(',') : [], afterSeq: q.after_seq ?? 0, toSeq: q.to_seq ?? null, limit: q.limit ?? PAGE_LIMIT_DEFAULT, headSeq: b.head_seq, withHashes: q.hashes !== false,
    });
    return { stream: b.stream, head_seq: b.head_seq, ...page };
  });

  app.get<StreamReq>('/api/books/:stream/chain', { schema: { params: streamParams, querystring: noQuery, response: objectReply } }, async (req) => {
    const b = await requireBook(ctx, req.params.stream);
    const { quarantineStatus } = await import('../../replay/quarantine.js');
    const q = await quarantineStatus(ctx.store, b.stream);
    return {
      stream: b.stream, head_seq: b.head_seq, head_hash: b.head_hash, lease_owner: b.lease_owner, lease_live: b.lease_live,
      quarantine: q, last_verify: verified.get(b.stream) ?? null,
      verify_command: `warden replay verify --book ${b.kind === 'runtime' ? b.book_id : b.stream}`,
    };
  });

  /** One verification per stream at a time; its result is kept for the chain route. */
  const verified = new Map<string, VerifyOutcome>();
  const inFlight = new Map<string, Promise<VerifyOutcome>>();
  app.get<StreamReq>('/api/books/:stream/verify', { schema: { params: streamParams, querystring: noQuery, response: objectReply } }, async (req) => {
    const b = await requireBook(ctx, req.params.stream);
    const prev = verified.get(b.stream);
    if (prev && prev.ok && prev.head_seq === b.head_seq) return { stream: b.stream, cached: true, ...prev };
    let p = inFlight.get(b.stream);
    if (!p) {
      p = (async (): Promise<VerifyOutcome> => {
        const t0 = performance.now();
        try {
          const r = await ctx.store.verify(b.stream);
          return { ok: true, head_seq: r.head_seq, head_hash: toHex(r.head_hash), events: r.events, error: null, bad_seq: null, duration_ms: Math.round(performance.now() - t0), checked_at_ms: ctx.now() };
        } catch (e) {
          const seq = (e as { seq?: unknown }).seq;
          return { ok: false, head_seq: b.head_seq, head_hash: null, events: 0, error: (e as Error).message, bad_seq: typeof seq === 'number' ? seq : null, duration_ms: Math.round(performance.now() - t0), checked_at_ms: ctx.now() };
        }
      })().finally(() => inFlight.delete(b.stream));
      inFlight.set(b.stream, p);
    }
    const out = await p;
    verified.set(b.stream, out);
    return { stream: b.stream, cached: false, ...out };
  });
}
