/**
 * Live routes: Server-Sent Events (`GET /api/live[?stream=S]`: one `append` event per stream whose
 * head moved, from the tailer's poll of the store; a comment every 15 s keeps proxies open) and
 * `GET /metrics` (Prometheus text).
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { SSE_CLIENTS_MAX } from '../limits.js';
import { liveQuery, noQuery } from '../schemas.js';

export const SSE_HEARTBEAT_MS = 15_000;

type LiveReq = { Querystring: { stream?: string } };

export function registerLiveRoutes(app: FastifyInstance, ctx: ApiContext): void {
  let clients = 0;
  app.get<LiveReq>('/api/live', { schema: { querystring: liveQuery } }, async (req, reply) => {
    if (clients >= SSE_CLIENTS_MAX) return reply.code(503).send({ error: `too many live clients (max ${SSE_CLIENTS_MAX})` });
    if (req.method === 'HEAD') return reply.code(200).header('content-type', 'text/event-stream').send();
    clients++;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`event: hello\ndata: ${JSON.stringify({ now_ms: ctx.now(), stream: req.query.stream ?? null })}\n\n`);
    const only = req.query.stream;
    const unsubscribe = ctx.tailer.subscribe((a) => {
      if (only !== undefined && a.stream !== only) return;
      const mark = a.mark ? { seq: a.mark.seq, time_ms: a.mark.time_ms, ...(a.mark.payload as Record<string, unknown>) } : null;
      res.write(`event: append\nid: ${a.stream}:${a.head_seq}\ndata: ${JSON.stringify({ stream: a.stream, from_seq: a.from_seq, head_seq: a.head_seq, mark })}\n\n`);
    });
    const beat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    const done = () => {
      clearInterval(beat);
      unsubscribe();
      clients--;
    };
    req.raw.once('close', done);
  });

  app.get('/metrics', { schema: { querystring: noQuery } }, async (_req, reply) => {
    const body = await ctx.metrics.text();
    return reply.header('content-type', ctx.metrics.contentType).send(body);
  });
}
