/**
 * The fuzz suite's HTTP family ([F10]): seeded bad requests against the read-only API ([F8]) on
 * both engines, over a real persisted backtest (the bundled Kraken hourly BTC/USD, one month).
 * Every case is a random method, route, path parameter, query (junk numbers and names, unknown,
 * repeated and prototype-named keys, huge values) and header. Each must: answer within a bound;
 * never 5xx; answer a status the API documents (200, 400, 404, 405, 406); name the bad parameter
 * in a 400's JSON error; and write nothing (the store's event, inbox and artifact counts are the
 * same after the run). A new seed per run, printed; FUZZ_SEED / FUZZ_HTTP_CASES reproduce a run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, it } from 'node:test';
import { describeEngines } from '../support/engines.js';
import { BUNDLED_DATA_DIR } from '../support/market-data.js';
import { resolveBook, type BookConfigInput } from '../../src/core/book/index.js';
import type { Db } from '../../src/store/db.js';
import { executeBacktest } from '../../src/backtest/service.js';
import { buildApi } from '../../src/api/server.js';
import { caseSeed, JUNK_NAMES, JUNK_NUMBERS, Rng } from './random.js';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const CASES = Number(process.env.FUZZ_HTTP_CASES ?? 300);
console.log(`http fuzz: FUZZ_SEED=${SEED} FUZZ_HTTP_CASES=${CASES}`);
const CASE_MS_MAX = 10_000;

const dir = mkdtempSync(join(tmpdir(), 'warden-http-fuzz-'));
const FROM_S = Date.UTC(2022, 0, 1) / 1000;
const TO_S = Date.UTC(2022, 1, 1) / 1000;
writeFileSync(join(dir, 'XBTUSD_60.csv'), readFileSync(join(BUNDLED_DATA_DIR, 'kraken', 'XBTUSD_60.csv'), 'utf8').split('\n')
  .filter((l) => l.trim() !== '' && Number(l.split(',')[0]) >= FROM_S && Number(l.split(',')[0]) < TO_S).join('\n') + '\n');
const config: BookConfigInput = {
  book_id: 'fuzz', data: { symbols: ['BTC/USD'], timeframe_s: 3600, source: { kind: 'kraken_ohlcvt_csv', paths: { 'BTC/USD': 'XBTUSD_60.csv' } } },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 5, slow: 20 } }], sizing: { mode: 'pct_equity', pct: '25' }, initial_cash: '10000',
};
writeFileSync(join(dir, 'book.json'), JSON.stringify(config));

const ROUTES = ['/api/books', '/api/books/:stream', '/api/books/:stream/candles', '/api/books/:stream/chain', '/api/books/:stream/directives', '/api/books/:stream/events',
  '/api/books/:stream/lots', '/api/books/:stream/marks', '/api/books/:stream/positions', '/api/books/:stream/verify', '/api/data', '/api/directives', '/metrics', '/', '/nowhere/../api/books',
  '/api/books/:stream/ticks', '/api/suggestions'];
const KEYS = ['after_seq', 'limit', 'from_ms', 'to_ms', 'points', 'symbol', 'type', 'types', 'status', 'from_seq', 'to_seq', 'interval_s', 'book', 'since_ms', 'open', ...JUNK_NAMES];
const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const DOCUMENTED = new Set([200, 400, 404, 405, 406]);

interface Req { method: string; url: string; headers: Record<string, string>; keys: string[] }

function request(r: Rng, stream: string): Req {
  const route = r.pick(ROUTES);
  const streamParam = r.chance(0.6) ? encodeURIComponent(stream) : encodeURIComponent(r.pick([...JUNK_NAMES, 'book:nope', 'backtest:', 'book:' + 'x'.repeat(200)]));
  let url = route.replace(':stream', streamParam);
  const keys: string[] = [];
  const q: string[] = [];
  for (let i = r.int(4); i > 0; i--) {
    const k = r.pick(KEYS);
    const v = r.chance(0.5) ? r.pick(JUNK_NUMBERS) : r.pick([...JUNK_NAMES, '1', '0', '100', String(2 ** 53), 'BTC/USD', 'ETH/USD']);
    keys.push(k);
    q.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  }
  if (q.length > 0) url += `?${q.join('&')}`;
  const headers: Record<string, string> = {};
  if (r.chance(0.2)) headers.accept = r.pick(['text/html', 'application/xml', '*/*', 'application/json;q=0', '']);
  return { method: r.pick(METHODS), url, headers, keys };
}

async function counts(db: Db): Promise<string> {
  const [e] = await db.query<{ n: unknown }>('SELECT count(*)::int AS n FROM events');
  const [i] = await db.query<{ n: unknown }>('SELECT count(*)::int AS n FROM inbox');
  const [a] = await db.query<{ n: unknown }>('SELECT count(*)::int AS n FROM artifacts');
  const [c] = await db.query<{ n: unknown }>('SELECT count(*)::int AS n FROM candles');
  return `events ${String(e?.n)}, inbox ${String(i?.n)}, artifacts ${String(a?.n)}, candles ${String(c?.n)}`;
}

describeEngines('http fuzz', (ctx) => {
  let db: Db;
  let stream: string;
  before(async () => {
    db = await ctx.freshDb();
    const run = await executeBacktest({ configFile: join(dir, 'book.json'), book: resolveBook(config), from_ms: null, to_ms: null, persist: true, report: null }, db);
    stream = run.persisted!.stream;
  });

  it(`${CASES} seeded bad requests: a documented status, never 5xx, a 400 names the parameter, nothing written`, async () => {
    const web = mkdtempSync(join(tmpdir(), 'warden-http-fuzz-web-'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>');
    const { app } = buildApi({ db, webDir: web });
    const before = await counts(db);
    const statuses = new Map<number, number>();
    try {
      for (let index = 0; index < CASES; index++) {
        const r = new Rng(caseSeed(SEED, index));
        const q = request(r, stream);
        const where = `case ${index} (FUZZ_SEED=${SEED}): ${q.method} ${q.url}`;
        let timer: NodeJS.Timeout | undefined;
        const res = await Promise.race([
          app.inject({ method: q.method as 'GET', url: q.url, headers: q.headers }),
          new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${where}: no answer within ${CASE_MS_MAX} ms`)), CASE_MS_MAX); }),
        ]).finally(() => clearTimeout(timer));
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        assert.ok(res.statusCode < 500, `${where}: ${res.statusCode} ${res.body.slice(0, 300)}`);
        assert.ok(DOCUMENTED.has(res.statusCode), `${where}: undocumented status ${res.statusCode} ${res.body.slice(0, 300)}`);
        assert.doesNotMatch(res.body, /\n\s+at .+:\d+:\d+/, `${where}: a stack trace in the answer`);
        if (res.statusCode === 400 && q.method !== 'HEAD') {
          const err = String((JSON.parse(res.body) as { error?: unknown }).error ?? '');
          const named = q.keys.some((k) => err.includes(k)) || /stream|symbol|querystring|params|must/.test(err);
          assert.ok(named, `${where}: the 400 names no parameter: ${err}`);
        }
      }
    } finally {
      await app.close();
    }
    assert.equal(await counts(db), before, 'the API wrote nothing');
    assert.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(405) ?? 0) > 0 && (statuses.get(200) ?? 0) > 0, `the cases reach every outcome: ${JSON.stringify([...statuses])}`);
  });
});
