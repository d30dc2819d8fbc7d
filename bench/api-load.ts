/**
 * API under load while the runtime ticks (printed figures, not a test): on PostgreSQL, a paper
 * runtime catches up over the bundled Kraken hourly BTC/USD + ETH/USD (2021-2022, ingested through
 * the gate) while `warden serve` answers a local client; prints the API's p50/p99/max latency
 * and requests/s, and the runtime's tick rate (from its own /metrics: ticks_total) over a window
 * without load and a window with it. Target (issue F8): the tick rate drops < 10 %.
 * The client is node's fetch with CONCURRENCY requests in flight (autocannon is not a dependency).
 * Usage: npm run bench:api [-- --seconds 15 --concurrency 8 --rate 0]   (--rate N: N requests/s in total; 0 = flat out)
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminPgUrl, tempPgDatabase } from '../test/support/engines.js';
import { BUNDLED_DATA_DIR } from '../test/support/market-data.js';
import { cli, runtime, runtimeVars, start } from '../test/runtime-proc.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 15);
const CONCURRENCY = arg('concurrency', 8);
/** Requests per second in total (0 = as fast as the server answers). */
const RATE = arg('rate', 0);
const FROM_S = Date.UTC(2021, 0, 1) / 1000;
const TO_S = Date.UTC(2023, 0, 1) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ticks(metricsUrl: string): Promise<number> {
  const m = /ticks_total\{status="OK"\} (\d+)/.exec(await (await fetch(metricsUrl)).text());
  return m ? Number(m[1]) : 0;
}

async function tickRate(metricsUrl: string, seconds: number): Promise<number> {
  const a = await ticks(metricsUrl);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  return ((await ticks(metricsUrl)) - a) / ((performance.now() - t0) / 1000);
}

async function load(urls: string[], seconds: number): Promise<number[]> {
  const lat: number[] = [];
  const t00 = performance.now();
  const end = t00 + seconds * 1000;
  let i = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) {
      const n = i;
      const url = urls[i++ % urls.length]!;
      if (RATE > 0) {
        const due = t00 + (n * 1000) / RATE;
        if (due > performance.now()) await sleep(due - performance.now());
      }
      const t0 = performance.now();
      const r = await fetch(url);
      await r.arrayBuffer();
      if (!r.ok) throw new Error(`${url}: ${r.status}`);
      lat.push(performance.now() - t0);
    }
  }));
  return lat.sort((a, b) => a - b);
}

const q = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;

const dir = mkdtempSync(join(tmpdir(), 'warden-bench-api-'));
for (const name of ['XBTUSD_60.csv', 'ETHUSD_60.csv']) {
  const rows = readFileSync(join(BUNDLED_DATA_DIR, 'kraken', name), 'utf8').split('\n').filter((l) => {
    const t = Number(l.split(',')[0]);
    return l.trim() !== '' && t >= FROM_S && t < TO_S;
  });
  writeFileSync(join(dir, name), rows.join('\n') + '\n');
}
writeFileSync(join(dir, 'main.book.json'), JSON.stringify({
  book_id: 'main', data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600, source: { kind: 'store' } },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30 } }, { skill: 'rsi-reversion', symbols: ['ETH/USD'] }],
  sizing: { mode: 'pct_equity', pct: '25' }, initial_cash: '10000',
}));
const db = await tempPgDatabase(adminPgUrl(), `bench_api_${process.pid}`);
const vars = { WARDEN_DATABASE_URL: db.url, WARDEN_LOG_LEVEL: 'warn' };
const procs: Array<{ child: { kill: (s: NodeJS.Signals) => boolean }; exit: Promise<unknown> }> = [];
try {
  if ((await cli(['migrate'], vars)).code !== 0) throw new Error('migrate failed');
  const ing = await cli(['ingest', join(dir, 'XBTUSD_60.csv'), join(dir, 'ETHUSD_60.csv')], vars);
  if (ing.code !== 0) throw new Error(`ingest failed: ${ing.stderr}`);
  const serve = start([process.execPath, join(process.cwd(), 'dist/src/cli/index.js'), 'serve', '--port', '0'], vars);
  procs.push(serve);
  const rt = runtime(runtimeVars(db.url, join(dir, 'snapshots'), { WARDEN_BOOK_CONFIG: join(dir, 'main.book.json'), WARDEN_API_PORT: '0', WARDEN_LOG_LEVEL: 'info' }));
  procs.push(rt);
  const metricsUrl = `http://127.0.0.1:${String((await rt.waitFor('api_listening')).api_port)}/metrics`;
  let base = '';
  while (base === '') {
    const hit = serve.lines.map((l) => String(l.raw ?? '')).find((l) => l.startsWith('serving '));
    if (hit) base = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(hit)![1]!;
    else await sleep(50);
  }
  await sleep(3000); // warm: the runtime is past start-up
  const idle = await tickRate(metricsUrl, SECONDS);
  const s = encodeURIComponent('book:main');
  const urls = [`${base}api/books`, `${base}api/books/${s}`, `${base}api/books/${s}/marks?points=500`, `${base}api/books/${s}/trades?limit=100`, `${base}api/books/${s}/positions`, `${base}api/data`];
  const [lat, busy] = await Promise.all([load(urls, SECONDS), tickRate(metricsUrl, SECONDS)]);
  const caughtUp = rt.lines.some((l) => l.event === 'market_caught_up');
  console.log(`API under load (PostgreSQL, ${CONCURRENCY} in flight, ${RATE > 0 ? `${RATE} req/s offered` : 'flat out'}, ${SECONDS} s, ${urls.length} routes round-robin): ${lat.length} requests, ${(lat.length / SECONDS).toFixed(0)} req/s`);
  console.log(`  latency ms: p50 ${q(lat, 0.5).toFixed(1)}  p99 ${q(lat, 0.99).toFixed(1)}  max ${lat[lat.length - 1]!.toFixed(1)}`);
  console.log(`runtime tick rate: ${idle.toFixed(1)} ticks/s without load, ${busy.toFixed(1)} with it: ${((1 - busy / idle) * 100).toFixed(1)} % drop (target < 10 %)${caughtUp ? ' [WARNING: the runtime caught up during the run; lengthen the data or shorten --seconds]' : ''}`);
} finally {
  for (const p of procs) p.child.kill('SIGTERM');
  for (const p of procs) await p.exit;
  await db.drop();
}
