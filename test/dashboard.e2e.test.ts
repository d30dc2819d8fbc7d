/**
 * The dashboard in a REAL browser (Debian chromium via playwright-core) on PostgreSQL, over a real
 * persisted backtest (`warden backtest --persist` of the bundled Kraken hourly BTC/USD and ETH/USD,
 * 2022-Q4) served by `warden serve`: every page renders; the figures shown equal the API's (the
 * exact value in the title, the text rounded to the quote's cents or the pair's decimals, never a
 * long float); the charts draw; nothing is requested beyond the server; no console error. Then a
 * paper runtime on the same store (with WARDEN_API_PORT) trades the same candles: its appends
 * arrive live over SSE, its book shows PAPER and STALE (historical data: greyed), and its own
 * /metrics counters move, and its catch-up logs no line per tick at info. Screenshots are saved under $TMPDIR/warden-dashboard-e2e/.
 * chromium is required in CI (CI=true: a missing /usr/bin/chromium FAILS); locally it skips loudly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminPgUrl, requirePostgres, tempPgDatabase, uniqueName } from './support/engines.js';
import { BUNDLED_DATA_DIR } from './support/market-data.js';
import { cli, runtime, runtimeVars, start, type Proc } from './runtime-proc.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, SHOTS } from './support/chromium.js';
import { openPostgres } from '../src/store/postgres.js';
import { WARDEN_SCHEMA } from '../src/store/open.js';
import { EventStore } from '../src/store/event-store.js';
import { BAR_CLOSE_MS, evaluated, proposed } from './support/governance.js';

/** A directive waiting for approval, as [F5]'s kernel records it (the contract's event shapes), on a runtime book stream of its own. */
async function proposeDirective(url: string): Promise<void> {
  const pg = await openPostgres(url, WARDEN_SCHEMA);
  try {
    const store = new EventStore(pg);
    const lease = await store.acquireLease('book:gov', 'e2e:1', 60_000);
    const [t] = BAR_CLOSE_MS;
    await store.append(lease, 0, [proposed('D1', t), evaluated('D1', t, 'NEEDS_APPROVAL')]);
    await store.releaseLease(lease);
  } finally {
    await pg.close();
  }
}

/** A monitor's finding in audit:suggestions (through the monitors' own writer), as f7's monitors record it. */
async function raiseSuggestion(url: string): Promise<void> {
  const pg = await openPostgres(url, WARDEN_SCHEMA);
  try {
    const { recordFindings, SuggestionLedger } = await import('../src/monitors/suggestions.js');
    await recordFindings(new EventStore(pg), new SuggestionLedger(), [{
      monitor: 'stale_data', severity: 'warn', book: null, series: 'BTC/USD 3600', key: 'stale_data:BTC/USD 3600',
      message: 'BTC/USD 3600: no candle since 2023-01-01', evidence: { ctt_ms: Date.UTC(2023, 0, 1) },
    }], () => true, { owner: 'e2e:m', time_ms: Date.UTC(2023, 0, 1) });
  } finally {
    await pg.close();
  }
}

const FROM_S = Date.UTC(2022, 9, 1) / 1000;
const TO_S = Date.UTC(2023, 0, 1) / 1000;

const dir = mkdtempSync(join(tmpdir(), 'warden-dash-'));
function cut(name: string): void {
  const rows = readFileSync(join(BUNDLED_DATA_DIR, 'kraken', name), 'utf8').split('\n').filter((l) => {
    const t = Number(l.split(',')[0]);
    return l.trim() !== '' && t >= FROM_S && t < TO_S;
  });
  writeFileSync(join(dir, name), rows.join('\n') + '\n');
}
const skills = [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30 } }, { skill: 'rsi-reversion', symbols: ['ETH/USD'] }];
const book = (id: string, source: unknown) => ({ book_id: id, data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600, source }, skills, sizing: { mode: 'pct_equity', pct: '25' }, initial_cash: '10000' });

let db: { url: string; drop: () => Promise<void> };
let serve: Proc | undefined;
let rt: Proc | undefined;
before(async () => {
  await requirePostgres();
  db = await tempPgDatabase(adminPgUrl(), uniqueName('dash'));
  cut('XBTUSD_60.csv');
  cut('ETHUSD_60.csv');
  writeFileSync(join(dir, 'dash.book.json'), JSON.stringify(book('dash', { kind: 'kraken_ohlcvt_csv', paths: { 'BTC/USD': 'XBTUSD_60.csv', 'ETH/USD': 'ETHUSD_60.csv' } })));
  writeFileSync(join(dir, 'main.book.json'), JSON.stringify(book('main', { kind: 'store' })));
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  rt?.child.kill('SIGTERM');
  serve?.child.kill('SIGTERM');
  await rt?.exit;
  await serve?.exit;
  await db?.drop();
});

type Json = Record<string, unknown>;
const getJson = async (url: string): Promise<Json> => (await (await fetch(url)).json()) as Json;

/** The shown text is the exact value rounded to `decimals` (half-even ties aside, within half a unit), with exactly that many decimals. */
function assertRounded(shown: string, exact: string, decimals: number, what: string): void {
  const digits = shown.replace(/[,\s%]/g, '');
  assert.match(digits, decimals > 0 ? new RegExp(`^-?\\d+\\.\\d{${decimals}}$`) : /^-?\d+$/, `${what}: "${shown}" has ${decimals} decimals`);
  assert.ok(Math.abs(Number(digits) - Number(exact)) <= 0.5 * 10 ** -decimals + 1e-9, `${what}: "${shown}" is ${exact} rounded to ${decimals}`);
}

test('the dashboard on a persisted real-data backtest and a live paper runtime, in chromium', async (t) => {
  const missing = chromiumMissing();
  if (missing !== null) {
    t.skip(missing);
    return;
  }
  assert.ok(existsSync(join(process.cwd(), 'dist/web/index.html')), 'the dashboard is not built: run npm run build (it builds web/ into dist/web)');
  const vars = { WARDEN_DATABASE_URL: db.url, WARDEN_LOG_LEVEL: 'warn' };
  assert.equal((await cli(['migrate'], vars)).code, 0);
  const bt = await cli(['backtest', '--config', join(dir, 'dash.book.json'), '--persist', '--json'], vars);
  assert.equal(bt.code, 0, bt.stderr);
  const run = JSON.parse(bt.stdout) as { summary: { final_equity: string; trades_closed: number; fees: string }; persisted: { stream: string; events: number } };
  const stream = run.persisted.stream;

  const refused = await cli(['serve', '--host', '0.0.0.0', '--port', '0'], vars);
  assert.equal(refused.code, 64, 'a non-loopback bind needs --allow-remote');
  assert.match(refused.stderr, /not a loopback address/);
  serve = start([process.execPath, join(process.cwd(), 'dist/src/cli/index.js'), 'serve', '--port', '0'], vars);
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const hit = serve!.lines.map((l) => String(l.raw ?? '')).find((l) => l.startsWith('serving '));
      if (hit) {
        clearInterval(timer);
        resolve(/(http:\/\/127\.0\.0\.1:\d+\/)/.exec(hit)![1]!);
      }
    }, 50);
    void serve!.exit.then(() => reject(new Error(`serve exited: ${serve!.stderr()}`)));
  });
  const api = await getJson(`${base}api/books/${encodeURIComponent(stream)}`);
  const state = api.state as { equity: string; cash: string; fees_total: string; trades_closed: number };
  assert.equal(state.equity, run.summary.final_equity);

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const errors: string[] = [];
    const foreign: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (q) => {
      if (!q.url().startsWith(base) && !q.url().startsWith('data:') && q.url() !== 'about:blank') foreign.push(q.url());
    });
    const open = async (hash: string, name: string) => {
      await page.goto('about:blank'); // a new document each time (a hash change alone would not reload the same page)
      await page.goto(`${base}#${hash}`);
      await page.waitForSelector(`body[data-page="${name}"]`, { timeout: 120_000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    };
    /** Visible text of main must not print long floats (13-decimal money was the old report's bug). */
    const noLongDecimals = async (what: string) => {
      const text = await page.locator('main').innerText();
      assert.doesNotMatch(text, /\d\.\d{9,}/, `${what}: a number printed with 9+ decimals`);
    };

    // overview
    await open('/', 'overview');
    const card = page.locator(`section.card[data-stream="${stream}"]`);
    assert.match(await card.innerText(), /PAPER/);
    assert.match(await card.innerText(), /BACKTEST/);
    const eq = card.locator('.equity .num');
    assert.equal(await eq.getAttribute('data-exact'), run.summary.final_equity);
    assertRounded(await eq.innerText(), run.summary.final_equity, 2, 'overview equity');
    await noLongDecimals('overview');

    // book
    await open(`/book/${encodeURIComponent(stream)}`, 'book');
    assertRounded(await page.locator('#fig-equity .num').innerText(), state.equity, 2, 'book equity');
    assertRounded(await page.locator('#fig-fees .num').innerText(), state.fees_total, 2, 'book fees');
    assert.equal(await page.locator('#fig-trades').innerText(), String(run.summary.trades_closed));
    for (const id of ['equity-chart', 'drawdown-chart', 'candle-chart']) {
      const sizes = await page.evaluate<number[][]>(`[...document.querySelectorAll('#${id} canvas')].map((c) => [c.width, c.height])`);
      assert.ok(sizes.some(([w, h]) => w! > 100 && h! > 100), `${id}: no drawn canvas (${JSON.stringify(sizes)})`);
    }
    const fillsShown = Number(await page.locator('#candle-chart').getAttribute('data-fills'));
    const candlesApi = await getJson(`${base}api/books/${encodeURIComponent(stream)}/candles?symbol=BTC%2FUSD&limit=500`);
    assert.equal(fillsShown, (candlesApi.fills as unknown[]).length, 'fill markers = the API fills');
    assert.equal(await page.locator('#trades tbody tr').count(), Math.min(100, run.summary.trades_closed));
    const firstTrade = ((await getJson(`${base}api/books/${encodeURIComponent(stream)}/trades?limit=1`)).items as Array<{ payload: { realized_pnl: string } }>)[0]!.payload;
    assertRounded(await page.locator('#trades tbody tr:first-child td:nth-child(6)').innerText(), firstTrade.realized_pnl, 2, 'first trade P&L');
    await noLongDecimals('book');

    // governance, data, audit
    await open('/governance', 'governance');
    assert.match(await page.locator('#waiting caption').innerText(), /Waiting for approval \(0\)/);
    await proposeDirective(db.url);
    await open('/governance', 'governance');
    assert.match(await page.locator('#waiting caption').innerText(), /Waiting for approval \(1\)/);
    assert.equal(await page.locator('#waiting code.cli').innerText(), 'warden directives approve D1 --book gov --as <your-name>');
    assert.match(await page.locator('#waiting').innerText(), /approval.notional_above: NEEDS_APPROVAL \(notional 847.18 > 500: a human approves\)/);
    assert.equal(await page.locator('main form, main input[type=submit]').count(), 0, 'no form that changes anything');
    await raiseSuggestion(db.url);
    await open('/data', 'data');
    assert.equal(await page.locator('#series tbody tr').count(), 2);
    assert.match(await page.locator('#suggestions caption').innerText(), /Monitor suggestions \(1 open/);
    assert.match(await page.locator('#suggestions').innerText(), /stale_data\s+WARN\s+-\s+BTC\/USD 3600\s+BTC\/USD 3600: no candle since 2023-01-01\s+OPEN/);
    assert.match(await page.locator('#series').innerText(), /STALE/, 'data of 2022 is STALE now');
    await open('/audit', 'audit');
    await page.keyboard.press('Tab'); // keyboard: the skip link takes focus first, then the page's links
    assert.equal(await page.evaluate<string>('document.activeElement.textContent'), 'Skip to content');
    const panel = page.locator(`section.panel[data-stream="${stream}"]`);
    assert.match(await panel.locator('table.ticks caption').innerText(), /Ticks that did not end OK \(0; an OK tick records no outcome\)/, 'every tick of this backtest ran OK');
    assert.equal(await panel.locator('.chain-seq').innerText(), String(run.persisted.events));
    await panel.locator('button').click();
    await panel.locator('.verify-result .badge').waitFor({ timeout: 120_000 });
    assert.equal(await panel.locator('.verify-result .badge').innerText(), 'VERIFIED');

    // live: a paper runtime on the same store trades the same candles; its appends arrive over SSE
    await open('/', 'overview');
    rt = runtime(runtimeVars(db.url, join(dir, 'snapshots'), { WARDEN_BOOK_CONFIG: join(dir, 'main.book.json'), WARDEN_API_PORT: '0' }));
    const listening = await rt.waitFor('api_listening');
    await page.waitForSelector('#live[data-appends]', { state: 'attached', timeout: 120_000 }); // set by the first SSE append (a string predicate would need eval, which the CSP forbids)
    const caught = await rt.waitFor('market_caught_up');
    assert.ok(Number(caught.ticks_fed) > 2000, `the runtime caught up over the quarter (${String(caught.ticks_fed)} ticks)`);
    const infoSteps = rt.lines.filter((l) => l.event === 'step_committed').length;
    assert.ok(infoSteps <= 2, `a catch-up logs no line per tick at info (${infoSteps} step_committed lines)`);
    await open('/', 'overview');
    const mainCard = page.locator('section.card[data-stream="book:main"]');
    assert.match(await mainCard.innerText(), /PAPER/);
    assert.match(await mainCard.innerText(), /STALE/);
    assert.match((await mainCard.getAttribute('class')) ?? '', /\bstale\b/, 'a STALE book is greyed');
    await page.screenshot({ path: join(SHOTS, 'overview-live.png'), fullPage: true });
    const metrics = await (await fetch(`http://127.0.0.1:${String(listening.api_port)}/metrics`)).text();
    const ticks = /ticks_total\{status="OK"\} (\d+)/.exec(metrics);
    assert.ok(ticks && Number(ticks[1]) > 0, 'the runtime counted its ticks');
    assert.match(metrics, /tick_duration_seconds_count [1-9]/);
    assert.match(metrics, /book_equity\{stream="book:main"\} \d/);
    assert.match(metrics, /policy_evaluation_duration_seconds_count\{directive_type="order\.open"\} [1-9]/, 'the policy evaluations of the kernel were timed');
    assert.match(metrics, /execution_duration_seconds_count\{directive_type="order\.open"\} [1-9]/, 'the module executions of the kernel were timed');

    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(foreign, [], 'no request beyond the server');
    process.stderr.write(`dashboard screenshots: ${SHOTS}\n`);
  } finally {
    await browser.close();
  }
});
