/**
 * A local stand-in for Kraken's public API on 127.0.0.1 (no live endpoint is reachable here),
 * serving the RECORDED payloads of ../shared/data/external/kraken-payloads:
 *   GET /0/public/OHLC?pair&interval&since   rows of the recorded OHLC answer with time >= since
 *       (all when no since), at most 720 (the first 720 from since; without since the last 720),
 *       `last` = the time of the last committed (second to last) row returned, as Kraken does.
 *   GET /0/public/Trades?pair&since          recorded trades after `since` (ns, or s with a
 *       fraction), at most `trades_page` (Kraken: 1000), `last` = the last one's time in ns.
 *   WS  /v2                                   Kraken WS v2: answers a `trade` subscribe in the
 *       documented shape (shape-only/) and sends what the test pushes; dropClients() cuts them.
 * Faults for the next requests are queued with fail(): 500, timeout (never answers), malformed,
 * kraken_error, rate_limit (Kraken's EAPI error array, HTTP 200) and http429.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type Fault = '500' | 'timeout' | 'malformed' | 'kraken_error' | 'rate_limit' | 'http429';

export interface FakeKrakenOptions {
  /** A recorded REST OHLC answer ({error, result: {PAIR: rows, last}}). */
  ohlc?: { pair: string; rows: unknown[][] };
  /** Recorded REST trades (7-element rows with ids). */
  trades?: { pair: string; rows: unknown[][] };
  trades_page?: number;
}

export class FakeKraken {
  readonly requests: string[] = [];
  private faults: Fault[] = [];
  private hung: ServerResponse[] = [];
  private server!: Server;
  private wss!: WebSocketServer;
  readonly sockets = new Set<WebSocket>();
  readonly wsMessages: unknown[] = [];
  port = 0;
  /** REST Trades serves only trades[0, tradesVisible) (those that "happened" by now); all when null. */
  tradesVisible: number | null = null;

  constructor(private readonly opts: FakeKrakenOptions) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/v2`;
  }

  fail(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.wss = new WebSocketServer({ server: this.server, path: '/v2' });
    this.wss.on('connection', (ws) => {
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { method?: string; params?: { channel?: string; symbol?: string[] }; req_id?: number };
        this.wsMessages.push(msg);
        if (msg.method === 'subscribe') {
          for (const symbol of msg.params?.symbol ?? []) {
            ws.send(JSON.stringify({ method: 'subscribe', result: { channel: msg.params?.channel, symbol, snapshot: false }, success: true, time_in: '2025-11-10T17:23:00.000000Z', time_out: '2025-11-10T17:23:00.000100Z', req_id: msg.req_id }));
          }
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Sends raw text to every connected WS client. */
  push(text: string): void {
    for (const s of this.sockets) s.send(text);
  }

  /** Cuts every WS connection (as a network drop would). */
  dropClients(): void {
    for (const s of this.sockets) s.terminate();
  }

  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    for (const s of this.sockets) s.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const send = (code: number, body: string) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(body);
    };
    const fault = this.faults.shift();
    if (fault === 'timeout') return void this.hung.push(res);
    if (fault === '500') return send(500, '<html>Internal Server Error</html>');
    if (fault === 'http429') return send(429, '{"error":["EGeneral:Too many requests"]}');
    if (fault === 'malformed') return send(200, '{"error":[],"result":{"XXBTZUSD":[[1607184000,"19');
    if (fault === 'kraken_error') return send(200, '{"error":["EService:Unavailable"]}');
    if (fault === 'rate_limit') return send(200, '{"error":["EAPI:Rate limit exceeded"]}');
    if (url.pathname === '/0/public/OHLC' && this.opts.ohlc) return send(200, this.ohlc(url));
    if (url.pathname === '/0/public/Trades' && this.opts.trades) return send(200, this.trades(url));
    return send(404, '{"error":["EGeneral:Unknown method"]}');
  }

  private ohlc(url: URL): string {
    const { pair, rows } = this.opts.ohlc!;
    const since = url.searchParams.get('since');
    const page = since === null ? rows.slice(-720) : rows.filter((r) => (r[0] as number) >= Number(since)).slice(0, 720);
    const last = page.length >= 2 ? page[page.length - 2]![0] : (page[0]?.[0] ?? Number(since ?? 0));
    return JSON.stringify({ error: [], result: { [pair]: page, last } });
  }

  private trades(url: URL): string {
    const { pair, rows } = this.opts.trades!;
    const sinceText = url.searchParams.get('since') ?? '0';
    const since_ns = sinceText.includes('.') || sinceText.length <= 11 ? BigInt(Math.round(Number(sinceText) * 1e6)) * 1000n : BigInt(sinceText);
    const tns = (r: unknown[]) => BigInt(Math.round((r[2] as number) * 1e6)) * 1000n;
    const page = rows.slice(0, this.tradesVisible ?? rows.length).filter((r) => tns(r) > since_ns).slice(0, this.opts.trades_page ?? 1000);
    const last = page.length > 0 ? String(tns(page[page.length - 1]!)) : String(since_ns);
    return JSON.stringify({ error: [], result: { [pair]: page, last } });
  }
}
