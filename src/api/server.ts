/**
 * The read-only HTTP API and dashboard server (fastify): JSON routes under /api, /metrics, and
 * the built dashboard. GET and HEAD only: every other method on every path is refused with 405
 * before routing or body parsing. Binds loopback unless explicitly allowed otherwise. Reads the
 * store through its own caches and a tailer; it never takes a lease and never writes.
 * Used by `warden serve` and by the paper runtime when WARDEN_API_PORT is set.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import { EventStore } from '../store/event-store.js';
import { CandleStore } from '../store/candle-store.js';
import { Metrics } from '../telemetry/metrics.js';
import { BookMetaCache } from './book-meta.js';
import { HttpError, type ApiContext } from './context.js';
import { DirectiveIndex } from '../governance/directives-index.js';
import { bookStreams } from './reads.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerBookRoutes } from './routes/books.js';
import { registerGovernanceRoutes } from './routes/governance.js';
import { registerLiveRoutes } from './routes/live.js';
import { registerMarketRoutes } from './routes/market.js';
import { registerOutcomeRoutes } from './routes/outcomes.js';
import { DEFAULT_STALENESS, type StalenessRule } from './staleness.js';
import { StateCache } from './state-cache.js';
import { registerStatic } from './static.js';
import { Tailer } from './tailer.js';
import { TAIL_INTERVAL_MS } from './limits.js';

export const ALLOWED_METHODS = ['GET', 'HEAD'] as const;

export interface ApiOptions {
  db: Db;
  host: string;
  port: number;
  /** Required to bind anything but a loopback address. */
  allowRemote?: boolean;
  /** The built dashboard (dist/web); null serves the API only. */
  webDir?: string | null;
  staleness?: StalenessRule;
  /** Shared with the runtime's own hooks when it serves the API. */
  metrics?: Metrics;
  tailIntervalMs?: number;
  log?: Logger;
  now?: () => number;
}

export interface ApiServer {
  readonly app: FastifyInstance;
  readonly port: number;
  readonly host: string;
  readonly ctx: ApiContext;
  close(): Promise<void>;
}

export class ApiBindError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function isLoopback(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1' || host === 'localhost';
}

/** Builds the fastify app (not listening): tests inject requests into it. */
export function buildApi(opts: Omit<ApiOptions, 'host' | 'port'>): { app: FastifyInstance; ctx: ApiContext; routes: string[] } {
  const db = opts.db;
  const store = new EventStore(db);
  const now = opts.now ?? Date.now;
  const candles = new CandleStore(db);
  const metrics = opts.metrics ?? new Metrics(null, now);
  metrics.attachStore({
    streams: async () => (await bookStreams(db)).map((s) => ({ stream: s.stream, head_seq: s.head_seq })),
    series: async () => (await candles.series()).map((s) => ({ symbol: s.symbol, interval_s: s.interval_s, rows: s.rows, ctt_ms: s.ctt_ms })),
  });
  const tailer = new Tailer(db, metrics, opts.tailIntervalMs ?? TAIL_INTERVAL_MS, (e) => opts.log?.warn({ event: 'api_tail_failed', reason: (e as Error).message }));
  const ctx: ApiContext = {
    db, store, states: new StateCache(db, store), metas: new BookMetaCache(db), directives: new DirectiveIndex(store), metrics, tailer,
    staleness: opts.staleness ?? DEFAULT_STALENESS, now,
  };
  const app = Fastify({
    logger: false, exposeHeadRoutes: true, routerOptions: { ignoreTrailingSlash: true },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });
  /** Every path registered (the method test enumerates them). */
  const routes: string[] = [];
  app.addHook('onRoute', (r) => {
    if (!routes.includes(r.url)) routes.push(r.url);
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!(ALLOWED_METHODS as readonly string[]).includes(req.method)) {
      return reply.code(405).header('allow', ALLOWED_METHODS.join(', ')).send({ error: `${req.method} is not allowed: this API is read-only (GET and HEAD only); operator commands go through the warden CLI` });
    }
  });
  // The schema's integer check lets the text "Infinity" (and "-Infinity", "1e400") through as a
  // number, and its bounds do not apply to it (ajv's coercion; measured on fastify 5.12): refused
  // here, after validation, naming the parameter, like any other bad value (a fuzz case made a 500).
  app.addHook('preHandler', async (req) => {
    for (const [name, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new HttpError(400, `bad request: querystring/${name} must be a finite integer, got ${String(v)}`);
    }
  });
  app.setErrorHandler((e: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (e instanceof HttpError) return reply.code(e.statusCode).send({ error: e.message });
    if (e.validation !== undefined) return reply.code(400).send({ error: `bad request: ${e.message}` });
    if (typeof e.statusCode === 'number' && e.statusCode < 500) return reply.code(e.statusCode).send({ error: e.message });
    opts.log?.error({ event: 'api_request_failed', url: req.url, reason: e.message });
    return reply.code(500).send({ error: `internal error: ${e.message}` });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `not found: ${req.url.split('?')[0]} (GET /api/books is the start)` }));
  registerBookRoutes(app, ctx);
  registerMarketRoutes(app, ctx);
  registerAuditRoutes(app, ctx);
  registerGovernanceRoutes(app, ctx);
  registerOutcomeRoutes(app, ctx);
  registerLiveRoutes(app, ctx);
  app.get('/api/health', { schema: { querystring: { type: 'object', additionalProperties: false, properties: {} } } }, async () => ({ status: 'ok', store: db.description, engine: db.engine }));
  if (opts.webDir) registerStatic(app, opts.webDir);
  return { app, ctx, routes };
}

/** Builds, binds and starts the tailer. A non-loopback host without allowRemote is refused (exit 64); a busy port is exit 78. */
export async function startApi(opts: ApiOptions): Promise<ApiServer> {
  if (!isLoopback(opts.host) && !opts.allowRemote) {
    throw new ApiBindError(`refusing to serve on ${opts.host}: not a loopback address. The API shows every book's log; pass --allow-remote to bind it anyway (and put authentication in front)`, 64);
  }
  const { app, ctx } = buildApi(opts);
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (e) {
    await app.close().catch(() => undefined);
    throw new ApiBindError(`cannot serve the API on ${opts.host}:${opts.port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 78);
  }
  ctx.tailer.start();
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
  return {
    app, ctx, port, host: opts.host,
    close: async () => {
      ctx.tailer.stop();
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
