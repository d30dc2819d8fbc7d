/**
 * Governance routes (the event contract of [F5]): a book's directives with policy results and
 * approval state, and the queue of directives waiting across every book, each with the exact
 * CLI command that approves it. The API approves nothing: the operator acts through the CLI.
 * Read through the one directive read model (src/governance/directives.ts, kept per stream by
 * src/governance/directives-index.ts), the same fold `warden directives list|show` prints.
 */
import type { FastifyInstance } from 'fastify';
import { DirectiveLogError } from '../../governance/errors.js';
import type { DirectiveEntry } from '../../governance/directives-index.js';
import type { DirectiveStatus } from '../../governance/limits.js';
import { HttpError, requireBook, type ApiContext } from '../context.js';
import { PAGE_LIMIT_DEFAULT } from '../limits.js';
import { bookStreams } from '../reads.js';
import { directivesQuery, objectReply, streamParams } from '../schemas.js';

type Query = { status?: DirectiveStatus; limit?: number };
type Req = { Params: { stream: string }; Querystring: Query };
type AllReq = { Querystring: Query };

/** The exact CLI command that approves a waiting directive of a runtime book (none for a backtest: nothing runs it). */
export function approveCommand(stream: string, directiveId: string): string | null {
  if (!stream.startsWith('book:')) return null;
  return `warden directives approve ${directiveId} --book ${stream.slice('book:'.length)} --as <your-name>`;
}

/** One directive as the dashboard shows it: the read model's record (or its summary once the record was dropped) with its stream and approve command. */
function view(stream: string, { summary: s, record: r }: DirectiveEntry) {
  let updated = s.last.time_ms;
  for (const e of r?.evaluations ?? []) updated = Math.max(updated, e.time_ms);
  for (const run of r?.runs ?? []) for (const h of run.history) updated = Math.max(updated, h.time_ms);
  return {
    stream, ...s, updated_ms: updated, record_dropped: r === null,
    directive: r?.directive ?? null, evaluations: r?.evaluations ?? [], history: r?.history ?? [], runs: r?.runs ?? [],
    approve_command: s.status === 'proposed' ? approveCommand(stream, s.directive_id) : null,
  };
}

async function listOf(ctx: ApiContext, stream: string, status: DirectiveStatus | undefined): Promise<DirectiveEntry[]> {
  try {
    return await ctx.directives.list(stream, status);
  } catch (e) {
    if (e instanceof DirectiveLogError) throw new HttpError(500, `the directives of ${stream} cannot be read: ${e.message} (warden directives list --book names the same)`);
    throw e;
  }
}

export function registerGovernanceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<Req>('/api/books/:stream/directives', { schema: { params: streamParams, querystring: directivesQuery, response: objectReply } }, async (req) => {
    const b = await requireBook(ctx, req.params.stream);
    const picked = await listOf(ctx, b.stream, req.query.status);
    const limit = req.query.limit ?? PAGE_LIMIT_DEFAULT;
    return { stream: b.stream, total: picked.length, directives: picked.slice(-limit).reverse().map((d) => view(b.stream, d)) };
  });

  app.get<AllReq>('/api/directives', { schema: { querystring: directivesQuery, response: objectReply } }, async (req) => {
    const limit = req.query.limit ?? PAGE_LIMIT_DEFAULT;
    const out: ReturnType<typeof view>[] = [];
    /** Streams whose governance log does not fit the contract: named, not hidden, and the others still listed. */
    const unreadable: Array<{ stream: string; error: string }> = [];
    for (const b of await bookStreams(ctx.db)) {
      try {
        for (const d of await ctx.directives.list(b.stream, req.query.status)) out.push(view(b.stream, d));
      } catch (e) {
        if (!(e instanceof DirectiveLogError)) throw e;
        unreadable.push({ stream: b.stream, error: e.message });
      }
    }
    out.sort((a, b) => b.updated_ms - a.updated_ms || a.stream.localeCompare(b.stream));
    return { total: out.length, directives: out.slice(0, limit), unreadable };
  });
}
