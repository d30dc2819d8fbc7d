/**
 * Liveness and readiness over node:http on a loopback address (WARDEN_HTTP_HOST/PORT):
 * GET /healthz -> 200 while the process runs; GET /readyz -> 200 only between the `ready` phase
 * and the start of shutdown, 503 otherwise (with WARDEN_BOOKS: also while the process runs no book,
 * e.g. a standby whose books all run in another process). /healthz lists each book's state
 * (running, waiting for its lease, failed, ...). Nothing else is served (404/405): this is not the API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthStatus {
  phase: string;
  ready: boolean;
  /** The runtime's feeds (WARDEN_FEEDS): name, kind, state, CTT and lag; absent without feeds. */
  feeds?: unknown[];
  /** The runtime's books: {book, state, epoch, seq, note} each. */
  books?: unknown[];
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export const HEALTH_REQUEST_TIMEOUT_MS = 5_000;

export async function startHealth(host: string, port: number, status: () => HealthStatus): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body) + '\n');
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'only GET and HEAD' });
    const s = status();
    if (path === '/healthz') return send(200, { status: 'alive', phase: s.phase, ...(s.books ? { books: s.books } : {}), ...(s.feeds ? { feeds: s.feeds } : {}) });
    if (path === '/readyz') return send(s.ready ? 200 : 503, { ready: s.ready, phase: s.phase });
    return send(404, { error: 'not found: this port serves /healthz and /readyz only' });
  });
  server.requestTimeout = HEALTH_REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const err = new Error(`cannot serve health on ${host}:${port} (WARDEN_HTTP_HOST/WARDEN_HTTP_PORT): ${e.code ?? e.message}`) as Error & { exitCode: number };
      err.exitCode = 78;
      reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
