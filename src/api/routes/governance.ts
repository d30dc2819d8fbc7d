/**
 * Governance routes (the event contract of [F5]): a book's directives with policy results and
 * approval state, and the queue of directives waiting across every book, each with the exact
 * CLI command that approves it. The API approves nothing: the operator acts through the CLI.
 */
import type { FastifyInstance } from 'fastify';
import { requireBook, type ApiContext } from '../context.js';
import { approveCommand, type DirectiveView } from '../directives.js';
import { PAGE_LIMIT_DEFAULT } from '../limits.js';
import { bookStreams } from '../reads.js';
import { directivesQuery, objectReply, streamParams } from '../schemas.js';

type Req = { Params: { stream: string }; Querystring: { status?: string; limit?: number } };
type AllReq = { Querystring: { status?: string; limit?: number } };

const view = (stream: string, d: DirectiveView) => ({ stream, ...d, approve_command: d.status === 'proposed' ? approveCommand(stream, d.directive_id) : null });

export function registerGovernanceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<Req>('/api/books/:stream/directives', { schema: { params: streamParams, querystring: directivesQuery, response: objectReply } }, async (req) => {
    const b = await requireBook(ctx, req.params.stream);
    const all = await ctx.directives.list(b.stream, b.head_seq);
    const picked = all.filter((d) => req.query.status === undefined || d.status === req.query.status);
    const limit = req.query.limit ?? PAGE_LIMIT_DEFAULT;
    return { stream: b.stream, total: picked.length, directives: picked.slice(-limit).reverse().map((d) => view(b.stream, d)) };
  });

  app.get<AllReq>('/api/directives', { schema: { querystring: directivesQuery, response: objectReply } }, async (req) => {
    const limit = req.query.limit ?? PAGE_LIMIT_DEFAULT;
    const out: ReturnType<typeof view>[] = [];
    for (const b of await bookStreams(ctx.db)) {
      for (const d of await ctx.directives.list(b.stream, b.head_seq)) {
        if (req.query.status === undefined || d.status === req.query.status) out.push(view(b.stream, d));
      }
    }
    out.sort((a, b) => b.updated_ms - a.updated_ms || a.stream.localeCompare(b.stream));
    return { total: out.length, directives: out.slice(0, limit) };
  });
}
