/**
 * `warden quickstart` (what `npm start` runs), the live demo, from an empty working directory with
 * the embedded profile: it prints a dashboard URL that answers (the page and /api/books), the demo
 * book ticks (events and market time grow), a second start on the same directory is refused naming
 * the holder's pid, a waiting directive is approved through the CLI while it runs, SIGTERM stops it
 * (exit 0); started again it resumes (no replayed bar twice: the market time only moves forward,
 * the gate saw no duplicate, the stored candles are exactly the bundled file's), and after the
 * stop `warden replay verify` re-executes the whole book identically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from '../../../test/support/cli.js';
import { readGatedCandles } from '../../ingest/gated-reader.js';
import { openDb } from '../../store/open.js';
import { EventStore } from '../../store/event-store.js';
import { CandleStore } from '../../store/candle-store.js';
import { DEMO_WARMUP_DAYS, dayMs } from '../../quickstart/demo.js';

const cli = fileURLToPath(new URL('../index.js', import.meta.url));
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const WAIT_MS_MAX = 120_000;
const FROM = '2022-10-01';

interface Run { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> }

function startQuickstart(cwd: string): Run {
  const child = spawn(process.execPath, [cli, '--profile', 'profile.env', 'quickstart', '--port', '0', '--bars-per-second', '8', '--from', FROM], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, out: () => out, err: () => err, exit };
}

async function until<T>(what: string, run: Run, fn: () => Promise<T | null> | T | null): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() - t0 > WAIT_MS_MAX) throw new Error(`${what}: timed out\n${run.out()}\n${run.err()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Book { stream: string; head_seq: number; last_mark: { time_ms: number } | null }
async function demoBook(url: string): Promise<Book | null> {
  const r = await fetch(`${url}/api/books`);
  assert.equal(r.status, 200);
  return ((await r.json()) as { books: Book[] }).books.find((b) => b.stream === 'book:demo') ?? null;
}

test('warden quickstart runs the demo book live, takes an approval through the CLI, stops on SIGTERM, resumes, and replay verifies', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'warden-quickstart-live-'));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  copyFileSync(join(root, 'config', 'embedded.env'), join(cwd, 'profile.env'));
  const warden = (args: string[]) => spawnSync(process.execPath, [cli, '--profile', 'profile.env', ...args], { cwd, env: cleanEnv({ WARDEN_LOG_LEVEL: 'warn' }), encoding: 'utf8', timeout: 60_000 });

  // 1. first start: URL printed, page and API answer, the book ticks
  let run = startQuickstart(cwd);
  const url = await until('the dashboard URL', run, () => /dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(run.out())?.[1] ?? null);
  assert.match(run.out(), /warm-up XBTUSD_60\.csv: BTC\/USD 168 candles ingested/);
  assert.match(run.out(), /directives approve D<n> --book demo --as you/);
  const page = await fetch(`${url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  const b1 = await until('book:demo in /api/books', run, async () => (await demoBook(url))?.last_mark ? demoBook(url) : null);
  const b2 = await until('the book to tick on', run, async () => {
    const b = await demoBook(url);
    return b && b.head_seq > b1.head_seq && b.last_mark!.time_ms > b1.last_mark!.time_ms ? b : null;
  });
  assert.ok(b2.head_seq > b1.head_seq);

  // 2. the directory is held: a second quickstart is refused, naming the runtime's pid
  const second = warden(['quickstart', '--port', '0']);
  assert.equal(second.status, 75, second.stdout + second.stderr);
  assert.match(second.stderr, new RegExp(`pid ${run.child.pid}|PID ${run.child.pid}|${run.child.pid}`));

  // 3. approve the newest waiting directive through the CLI, while it runs
  const id = await until('a directive waiting for approval', run, () => [...run.out().matchAll(/(D\d+) waits for your approval/g)].pop()?.[1] ?? null);
  const ok = warden(['directives', 'approve', id, '--book', 'demo', '--as', 'you']);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, new RegExp(`${id} is now (complete|blocked)`));

  // 4. SIGTERM: clean stop
  const before = (await demoBook(url))!;
  run.child.kill('SIGTERM');
  assert.equal(await run.exit, 0, run.err());

  // 5. second start: nothing new ingested, resumes after the stored events, ticks on from where it stopped
  run = startQuickstart(cwd);
  const url2 = await until('the dashboard URL again', run, () => /dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(run.out())?.[1] ?? null);
  assert.match(run.out(), /BTC\/USD nothing new \(already in the store\)/);
  const resumedAfter = Number(/resuming after event (\d+)/.exec(run.out())?.[1]);
  assert.ok(resumedAfter > before.head_seq, `resumed after ${resumedAfter}, the head was ${before.head_seq} before the stop`);
  await until('the book to tick past where it stopped', run, async () => {
    const b = await demoBook(url2);
    return b && b.last_mark && b.last_mark.time_ms > before.last_mark!.time_ms && b.head_seq > resumedAfter + 5 ? b : null;
  });
  run.child.kill('SIGTERM');
  assert.equal(await run.exit, 0, run.err());

  // 6. the log and the candles: market time only forward, every replayed bar once
  const db = await openDb('pglite:' + join(cwd, 'var', 'warden.pglite'), { command: 'quickstart e2e check' });
  try {
    const store = new EventStore(db);
    let last = -Infinity;
    let ticks = 0;
    for await (const batch of store.read('book:demo')) {
      for (const e of batch) {
        if (e.type !== 'mark.recorded') continue;
        assert.ok(e.time_ms > last, `mark at seq ${e.seq} (${new Date(e.time_ms).toISOString()}) does not move forward`);
        last = e.time_ms;
        ticks++;
      }
    }
    assert.ok(ticks > 168, `${ticks} marks`);
    const [dup] = await db.query<{ d: number }>('SELECT coalesce(sum(duplicates), 0)::int AS d FROM ingest_batches');
    assert.equal(dup!.d, 0, 'no bar offered twice');
    const candles = new CandleStore(db);
    for (const [file, symbol] of [['XBTUSD_60.csv', 'BTC/USD'], ['ETHUSD_60.csv', 'ETH/USD']] as const) {
      const head = (await candles.seriesHead(symbol, 3600))!;
      assert.equal(head.first_open_ms, dayMs(FROM) - DEMO_WARMUP_DAYS * 86_400_000);
      let n = 0;
      for await (const b of readGatedCandles(join(root, 'data', 'kraken', file), { symbol, interval_s: 3600, from_ms: head.first_open_ms, to_ms: head.last_open_ms + 1 })) n += b.length;
      assert.equal(await candles.countCandles(symbol, 3600), n, `${symbol}: the file's candles up to the head, each once`);
    }
  } finally {
    await db.close();
  }

  // 7. replay verify after the stop
  const v = warden(['replay', 'verify', '--book', 'demo']);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /book:demo: \d+ events verified/);
});
