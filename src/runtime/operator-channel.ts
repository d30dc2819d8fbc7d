/**
 * The operator channel of a runtime that holds an embedded (PGlite) store: PGlite is one process
 * per data directory, so while the runtime runs, the CLI cannot open the store; it asks the
 * runtime instead. A loopback HTTP endpoint (127.0.0.1, a random port) that requires the bearer
 * token of `<data dir>.operator.json` (mode 0600, ./operator-file.ts), and serves the
 * OperatorPort (src/governance/operator.ts) of the store the runtime holds: the same code the CLI
 * runs when it opens a store itself. Endpoints (JSON; `{stream}` URL-encoded, e.g. book%3Amain):
 *
 *   GET  /v1/streams/{stream}                          stream head and live writer lease
 *   GET  /v1/streams/{stream}/status                   the same, with its quarantine
 *   GET  /v1/streams/{stream}/epoch                    truth epoch, mode, CTT per series (src/governance/epochs.ts)
 *   POST /v1/streams/{stream}/inbox                    {command, payload, issued_by} -> {inbox_id}
 *   GET  /v1/streams/{stream}/directives[?status=S&limit=N]
 *   GET  /v1/streams/{stream}/directives/{id}          the record, or null
 *   GET  /v1/streams/{stream}/inbox/{id}/outcome?after_seq=N
 *
 * An inbox row appended here notifies like any other (pg_notify in the same statement), so the
 * runner wakes at once. Errors: {error, exit_code} with 400 (bad request), 401 (no or wrong
 * token), 404 (no such route), 413 (body over 256 KiB), 500 (the store failed: exit_code is the
 * one the CLI would have exited with had it opened the store itself).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from '../core/zod.js';
import { checkStreamName } from '../core/events/index.js';
import type { CanonicalValue } from '../core/canonical/index.js';
import { EXIT, exitCodeOf } from '../exit-codes.js';
import { DIRECTIVE_ID_RE, DIRECTIVE_STATUSES, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX } from '../governance/limits.js';
import type { OperatorPort } from '../governance/operator.js';
import type { Logger } from '../telemetry/logger.js';
import { OPERATOR_FILE_VERSION, operatorFilePath, removeOperatorFile, writeOperatorFile } from './operator-file.js';

export const CHANNEL_BODY_BYTES_MAX = 256 * 1024;
export const CHANNEL_REQUEST_TIMEOUT_MS = 30_000;

export interface OperatorChannel {
  readonly port: number;
  readonly file: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly exitCode: number = EXIT.usage) {
    super(message);
  }
}

const inboxBody = z.object({
  command: z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/),
  payload: z.json(),
  issued_by: z.string().min(1).max(200),
});
const listQuery = z.object({
  status: z.enum(DIRECTIVE_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT),
});
const outcomeQuery = z.object({ after_seq: z.coerce.number().int().min(0) });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new HttpError(400, `${what}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > CHANNEL_BODY_BYTES_MAX) throw new HttpError(413, `request body over ${CHANNEL_BODY_BYTES_MAX} bytes`);
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new HttpError(400, `request body is not JSON: ${(e as Error).message}`);
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Routes one authenticated request to the port; returns the JSON to answer. */
async function route(port: OperatorPort, req: IncomingMessage, url: URL, log: Logger): Promise<unknown> {
  const m = /^\/v1\/streams\/([^/]+)(\/status|\/epoch|\/inbox|\/skills|\/directives(?:\/([^/]+))?|\/inbox\/([0-9]{1,15})\/outcome)?$/.exec(url.pathname);
  if (!m) throw new HttpError(404, `no route ${req.method ?? ''} ${url.pathname}`);
  const stream = decodeURIComponent(m[1]!);
  try {
    checkStreamName(stream);
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
  const tail = m[2] ?? '';
  const query = Object.fromEntries(url.searchParams);
  const method = req.method ?? 'GET';
  if (method === 'POST' && tail === '/inbox') {
    const b = parse(inboxBody, await readBody(req), 'body');
    const r = await port.appendInbox(stream, b.command, b.payload as CanonicalValue, b.issued_by);
    log.info({ event: 'inbox_command_recorded', via: 'operator_channel', inbox_id: r.inbox_id, stream, command: b.command, issued_by: b.issued_by });
    return r;
  }
  if (method !== 'GET') throw new HttpError(404, `no route ${method} ${url.pathname}`);
  if (tail === '') return port.streamView(stream);
  if (tail === '/status') return port.bookStatus(stream);
  if (tail === '/skills') return port.bookSkills(stream);
  if (tail === '/epoch') return port.epochView(stream);
  if (tail === '/directives') {
    const q = parse(listQuery, query, 'query');
    return port.listDirectives(stream, q.status === undefined ? { limit: q.limit } : { status: q.status, limit: q.limit });
  }
  if (m[3] !== undefined) {
    const id = decodeURIComponent(m[3]);
    if (!DIRECTIVE_ID_RE.test(id)) throw new HttpError(400, `directive id ${JSON.stringify(id)}: expected D<n>`);
    return port.showDirective(stream, id);
  }
  if (m[4] !== undefined) return port.inboxOutcome(stream, Number(m[4]), parse(outcomeQuery, query, 'query').after_seq);
  throw new HttpError(404, `no route ${method} ${url.pathname}`);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * Starts the channel for the store at `dir` and writes its file; `close` stops it and removes
 * the file. Listens on 127.0.0.1 only, on a port the OS picks.
 */
export async function startOperatorChannel(opts: { dir: string; stream: string; port: OperatorPort; log: Logger }): Promise<OperatorChannel> {
  const token = randomBytes(32).toString('hex');
  const expected = digest(`Bearer ${token}`);
  const { log } = opts;
  const server = createServer((req, res) => {
    const t0 = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const finish = (status: number, body: unknown) => {
      send(res, status, body);
      log.debug({ event: 'operator_request', method: req.method, path: url.pathname, status, duration_ms: Math.round(performance.now() - t0) });
    };
    if (!timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      log.warn({ event: 'operator_request_refused', method: req.method, path: url.pathname, reason: req.headers.authorization ? 'wrong token' : 'no token' });
      req.resume();
      return finish(401, { error: 'the operator channel requires the bearer token of its operator file', exit_code: EXIT.held });
    }
    route(opts.port, req, url, log).then(
      (body) => finish(200, body),
      (e: unknown) => {
        if (e instanceof HttpError) return finish(e.status, { error: e.message, exit_code: e.exitCode });
        const code = exitCodeOf(e);
        log.warn({ event: 'operator_request_failed', method: req.method, path: url.pathname, reason: (e as Error).message, exit_code: code });
        finish(500, { error: (e as Error).message, exit_code: code });
      },
    );
  });
  server.requestTimeout = CHANNEL_REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const file = operatorFilePath(opts.dir);
  try {
    writeOperatorFile(file, { version: OPERATOR_FILE_VERSION, pid: process.pid, host: '127.0.0.1', port, token, stream: opts.stream, started_at: new Date().toISOString() });
  } catch (e) {
    server.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    port, file,
    close: () => (closing ??= (async () => {
      removeOperatorFile(file);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })()),
  };
}
