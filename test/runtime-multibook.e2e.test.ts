/**
 * Several books per runtime (WARDEN_BOOKS; infra/RUNTIME_STARTUP_SEQUENCE.md "Several books").
 * PostgreSQL: two runtime processes given the same three books (BTC/USD, ETH/USD and a second
 * BTC/USD book, trading real Kraken hourly candles loaded with `warden ingest`) split them by
 * lease, no book runs twice; one is killed with SIGKILL and the other takes its books over once
 * their leases expire; a clean stop, then `warden replay verify` passes on all three. PGlite: one
 * process runs the three books, and an operator command reaches the book it names through the
 * operator channel. A quarantined book stops alone; the others run on and take commands.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePostgres, TEST_PG_URL, uniqueName } from './support/engines.js';
import { BTC_HOURLY, ETH_HOURLY } from './support/candles-csv.js';
import { seedPgliteDir } from './support/pglite-template.js';
import { cli, runtime, runtimeVars, tempPgDatabase, type LogLine, type Proc } from './runtime-proc.js';

const TTL_MS = 3000;
const ROUND_MS = Math.floor(TTL_MS / 3);
/** Slack for a restore + runtime.start on a loaded machine, on top of ttl + one claim round. */
const TAKEOVER_SLACK_MS = 4000;
const FROM_S = Date.UTC(2022, 5, 1) / 1000;
const HOURS = 300;
const BOOKS = ['btc', 'eth', 'btc-slow'] as const;

/** Real rows of the full hourly files: HOURS hours from 2022-06-01, under the file's own name (the symbol). */
function sliceCsv(src: string, dir: string, name: string): string {
  const rows = readFileSync(src, 'utf8').split('\n').filter((l) => {
    const t = Number(l.split(',')[0]);
    return t >= FROM_S && t < FROM_S + HOURS * 3600;
  });
  assert.ok(rows.length > HOURS * 0.9, `${src}: the slice has ${rows.length} rows`);
  const out = join(dir, name);
  writeFileSync(out, rows.join('\n') + '\n');
  return out;
}

function bookConfig(id: string, symbol: string, fast: number, slow: number): object {
  return {
    book_id: id, data: { symbols: [symbol], timeframe_s: 3600, source: { kind: 'store' } },
    skills: [{ skill: 'sma-cross', symbols: [symbol], params: { fast, slow } }],
    sizing: { mode: 'pct_equity', pct: '25' }, initial_cash: '10000',
  };
}

/** Writes the three book configs and the two data slices under `dir`; returns the files to ingest. */
function setUp(dir: string): { configDir: string; files: string[] } {
  const configDir = join(dir, 'books');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'btc.book.json'), JSON.stringify(bookConfig('btc', 'BTC/USD', 10, 30)));
  writeFileSync(join(configDir, 'eth.book.json'), JSON.stringify(bookConfig('eth', 'ETH/USD', 10, 30)));
  writeFileSync(join(configDir, 'btc-slow.book.json'), JSON.stringify(bookConfig('btc-slow', 'BTC/USD', 20, 60)));
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  return { configDir, files: [sliceCsv(BTC_HOURLY, data, 'XBTUSD_60.csv'), sliceCsv(ETH_HOURLY, data, 'ETHUSD_60.csv')] };
}

const bookLines = (p: Proc, event: string) => p.lines.filter((l) => l.event === event && typeof l.book === 'string');
/** The books a process runs now: started (or claimed) and not failed since. */
function running(p: Proc): string[] {
  const out = new Set<string>();
  for (const l of p.lines) {
    if (typeof l.book !== 'string') continue;
    if (l.event === 'book_started') out.add(l.book);
    if (l.event === 'book_failed') out.delete(l.book);
  }
  return [...out].sort();
}

async function waitUntil(what: string, cond: () => boolean, ms = 60_000, p?: Proc): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms${p ? `; log:\n${p.lines.map((l) => JSON.stringify(l)).join('\n')}\n${p.stderr()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const caughtUp = (p: Proc, book: string, after = 0) => p.lines.slice(after).some((l) => l.event === 'market_caught_up' && l.book === book && l.last_tick_ms !== null);

async function healthz(p: Proc): Promise<{ books: Array<{ book: string; state: string }> }> {
  const port = Number(p.lines.find((l) => l.event === 'config_validated')!.http_port);
  return (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { books: Array<{ book: string; state: string }> };
}

async function verifyAll(vars: Record<string, string>, books: readonly string[]): Promise<void> {
  const v = await cli(['replay', 'verify', '--json'], { ...vars, WARDEN_LOG_LEVEL: 'warn' });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  const streams = (JSON.parse(v.stdout) as { streams: Array<{ stream: string; kernel: string }> }).streams;
  for (const b of books) assert.equal(streams.find((s) => s.stream === `book:${b}`)?.kernel, 'trading', `book:${b} verified with its trading kernel`);
}

describe('several books per runtime: two processes split three books by lease [postgres]', () => {
  let dir = '';
  let db: { url: string; drop: () => Promise<void> } | undefined;
  let vars: Record<string, string> = {};
  const procs: Proc[] = [];

  before(async () => {
    await requirePostgres();
    dir = mkdtempSync(join(tmpdir(), 'warden-multibook-'));
    const admin = new URL(TEST_PG_URL);
    admin.pathname = '/postgres';
    db = await tempPgDatabase(admin.toString(), uniqueName('warden_rt_multi'));
    const { configDir, files } = setUp(dir);
    vars = runtimeVars(db.url, join(dir, 'snapshots'), { WARDEN_BOOKS: BOOKS.join(','), WARDEN_BOOK_CONFIG_DIR: configDir, WARDEN_LEASE_TTL_MS: String(TTL_MS), WARDEN_SNAPSHOT_EVERY_EVENTS: '200' });
    delete vars.WARDEN_BOOK;
    assert.equal((await cli(['migrate'], vars)).code, 0);
    const ing = await cli(['ingest', ...files], vars);
    assert.equal(ing.code, 0, ing.stderr);
  });
  after(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exit));
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('split with no book twice; SIGKILL one; the other takes its books within ttl + a round; replay verify passes', async (t) => {
    const a = runtime(vars);
    const b = runtime(vars);
    procs.push(a, b);
    await waitUntil('the three books running', () => running(a).length + running(b).length === 3, 60_000, a);
    const [ra, rb] = [running(a), running(b)];
    assert.deepEqual([...ra, ...rb].sort(), [...BOOKS].sort(), 'every book runs, none twice');
    assert.ok(ra.length > 0 && rb.length > 0, `the books are split: a runs ${ra.join(',')}, b runs ${rb.join(',')}`);
    const owner = (p: Proc) => String(p.lines.find((l) => l.event === 'lease_acquired')!.owner);
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: db!.url });
    await c.connect();
    try {
      const leases = (await c.query(`SELECT stream, lease_owner, lease_epoch FROM warden.streams WHERE stream LIKE 'book:%' ORDER BY stream`)).rows as Array<{ stream: string; lease_owner: string; lease_epoch: string }>;
      for (const l of leases) {
        const book = l.stream.slice('book:'.length);
        assert.equal(l.lease_owner, ra.includes(book) ? owner(a) : owner(b), `${l.stream} is leased to the process that runs it`);
      }
      for (const book of BOOKS) await waitUntil(`${book} caught up`, () => caughtUp(a, book) || caughtUp(b, book), 60_000, a);

      const [victim, survivor] = ra.length >= rb.length ? [a, b] : [b, a];
      const taken = running(victim);
      const mark = survivor.lines.length;
      const t0 = Date.now();
      victim.child.kill('SIGKILL');
      await victim.exit;
      const at = new Map<string, number>();
      await waitUntil('the takeover', () => {
        for (const l of survivor.lines.slice(mark)) if (l.event === 'book_lease_acquired' && !at.has(String(l.book))) at.set(String(l.book), Date.now() - t0);
        return taken.every((bk) => at.has(bk));
      }, TTL_MS + ROUND_MS + TAKEOVER_SLACK_MS + 10_000, survivor);
      await waitUntil('every book running in the survivor', () => running(survivor).length === 3, TAKEOVER_SLACK_MS, survivor);
      t.diagnostic(`split: ${ra.join(',')} | ${rb.join(',')}; taken over after the kill (ms): ${JSON.stringify(Object.fromEntries(at))}`);
      for (const bk of taken) {
        assert.ok(at.get(bk)! <= TTL_MS + ROUND_MS + 500, `${bk} taken over ${at.get(bk)} ms after the kill (ttl ${TTL_MS} + round ${ROUND_MS})`);
        const restored = survivor.lines.slice(mark).find((l) => l.event === 'book_state_restored' && l.book === bk);
        assert.equal(restored?.previous_run_crashed, true, `${bk}: the survivor restores after the crash; log:\n${survivor.lines.slice(mark).map((l) => JSON.stringify(l)).join('\n')}`);
      }
      const epochs = (await c.query(`SELECT stream, lease_owner, lease_epoch FROM warden.streams WHERE stream LIKE 'book:%'`)).rows as Array<{ stream: string; lease_owner: string; lease_epoch: string }>;
      for (const l of epochs) assert.equal(l.lease_owner, owner(survivor), `${l.stream} now leased to the survivor`);
      for (const bk of taken) {
        const before = leases.find((l) => l.stream === `book:${bk}`)!;
        assert.equal(Number(epochs.find((l) => l.stream === `book:${bk}`)!.lease_epoch), Number(before.lease_epoch) + 1, `${bk}: fenced by a new epoch`);
      }
      for (const bk of taken) await waitUntil(`${bk} caught up in the survivor`, () => caughtUp(survivor, bk, mark), 60_000, survivor);

      const health = await healthz(survivor);
      assert.deepEqual(health.books.map((h) => [h.book, h.state]), BOOKS.map((bk) => [bk, 'running']));
      survivor.child.kill('SIGTERM');
      assert.equal(await survivor.exit, 0, survivor.stderr());
      const done = survivor.lines.find((l) => l.event === 'shutdown_complete')!;
      assert.deepEqual((done.books as LogLine[]).map((x) => x.book).sort(), [...BOOKS].sort());
      const free = (await c.query(`SELECT count(*)::int AS n FROM warden.streams WHERE stream LIKE 'book:%' AND lease_owner IS NOT NULL`)).rows as Array<{ n: number }>;
      assert.equal(free[0]!.n, 0, 'every lease released at the clean stop');
    } finally {
      await c.end();
    }
    await verifyAll(vars, BOOKS);
  });

  test('a book quarantined while it runs stops alone; the others run on and take operator commands', async () => {
    const p = runtime({ ...vars });
    procs.push(p);
    await waitUntil('three books running', () => running(p).length === 3, 60_000, p);
    const { openDb } = await import('../src/store/open.js');
    const { EventStore } = await import('../src/store/event-store.js');
    const { quarantine } = await import('../src/replay/quarantine.js');
    const store = await openDb(db!.url, { command: 'multibook test' });
    try {
      await quarantine(new EventStore(store), { stream: 'book:eth', seq: null, kind: 'other', reason: 'test: an operator found it broken', detected_by: 'multibook test', owner: 'test:1', time_ms: Date.now() });
    } finally {
      await store.close();
    }
    await waitUntil('eth stopped', () => p.lines.some((l) => l.event === 'book_failed' && l.book === 'eth'), 10_000, p);
    const failed = p.lines.find((l) => l.event === 'book_failed' && l.book === 'eth')!;
    assert.equal(failed.failure, 'book_quarantined');
    assert.equal(failed.exit_code, 65);
    assert.deepEqual(running(p), ['btc', 'btc-slow']);
    const r = await cli(['book', 'pause', '--book', 'btc-slow', '--reason', 'multibook test'], vars);
    assert.equal(r.code, 0, r.stderr);
    await waitUntil('the pause applied to btc-slow', () => p.lines.some((l) => l.event === 'inbox_command_processed' && l.book === 'btc-slow'), 20_000, p);
    assert.equal(p.lines.find((l) => l.event === 'inbox_command_processed')!.status, 'PAUSED');
    assert.ok(!p.lines.some((l) => l.event === 'inbox_command_processed' && l.book !== 'btc-slow'), 'only the named book applied it');
    const states = Object.fromEntries((await healthz(p)).books.map((h) => [h.book, h.state]));
    assert.deepEqual(states, { btc: 'running', eth: 'failed', 'btc-slow': 'running' });
    p.child.kill('SIGTERM');
    assert.equal(await p.exit, 0, p.stderr());

    // Restarted, the quarantined book is refused at once; the others start.
    const q = runtime({ ...vars });
    procs.push(q);
    await waitUntil('btc and btc-slow running', () => running(q).length === 2 && q.lines.some((l) => l.event === 'book_failed' && l.book === 'eth'), 60_000, q);
    assert.match(String(q.lines.find((l) => l.event === 'book_failed' && l.book === 'eth')!.reason), /quarantined/);
    await q.waitFor('ready');
    q.child.kill('SIGTERM');
    assert.equal(await q.exit, 0, q.stderr());

    // A process whose every book failed has nothing left to run: it exits with the failure's code.
    const only = runtime({ ...vars, WARDEN_BOOKS: 'eth' });
    procs.push(only);
    assert.equal(await only.exit, 65, only.stderr());
    const all = only.lines.find((l) => l.event === 'all_books_failed')!;
    assert.match(String(all.reason), /every book of WARDEN_BOOKS failed; the first: .*book:eth.*quarantined/);
  });
});

describe('several books per runtime: one process runs every book [pglite]', () => {
  let dir = '';
  let vars: Record<string, string> = {};
  let p: Proc | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-multibook-pglite-'));
    const { configDir, files } = setUp(dir);
    await seedPgliteDir(join(dir, 'store.pglite')); // a new store without initdb's cost (./support/pglite-template.ts)
    vars = runtimeVars(`pglite:${join(dir, 'store.pglite')}`, join(dir, 'snapshots'), { WARDEN_BOOKS: BOOKS.join(','), WARDEN_BOOK_CONFIG_DIR: configDir });
    delete vars.WARDEN_BOOK;
    assert.equal((await cli(['migrate'], vars)).code, 0);
    const ing = await cli(['ingest', ...files], vars);
    assert.equal(ing.code, 0, ing.stderr);
  });
  after(async () => {
    if (p && p.child.exitCode === null) {
      p.child.kill('SIGKILL');
      await p.exit;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('all three books tick; book pause --book eth reaches eth only (operator channel); replay verify passes', async () => {
    p = runtime(vars);
    const ready = await p.waitFor('ready');
    assert.deepEqual(ready.books_running, [...BOOKS]);
    for (const book of BOOKS) await waitUntil(`${book} caught up`, () => caughtUp(p!, book), 60_000, p);
    for (const book of BOOKS) assert.ok(bookLines(p, 'book_started').some((l) => l.book === book));
    const r = await cli(['book', 'pause', '--book', 'eth', '--reason', 'multibook test'], vars);
    assert.equal(r.code, 0, r.stderr);
    await waitUntil('the pause applied', () => p!.lines.some((l) => l.event === 'inbox_command_processed'), 20_000, p);
    const applied = p.lines.filter((l) => l.event === 'inbox_command_processed');
    assert.deepEqual(applied.map((l) => [l.book, l.command, l.status]), [['eth', 'book.pause', 'PAUSED']]);
    p.child.kill('SIGTERM');
    assert.equal(await p.exit, 0, p.stderr());
    await verifyAll(vars, BOOKS);
  });
});
