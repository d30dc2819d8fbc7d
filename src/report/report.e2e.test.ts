/**
 * The backtest report in a REAL browser (Debian chromium via playwright-core): a two-symbol,
 * two-skill run over the bundled Kraken hourly data is rendered to a file and opened from
 * file://. The equity, drawdown and per-symbol price charts (the dashboard's chart components, with
 * a marker per fill) must draw (canvases of non-zero size); money shows in cents with the exact
 * value on hover; the trades
 * table must have one row per closed trade, the console must stay free of errors and the page
 * must make no request beyond its own file. A screenshot goes to /tmp for a human to look at.
 * chromium is required in CI (CI=true: a missing /usr/bin/chromium FAILS); locally it skips loudly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BookConfigInput } from '../core/book/index.js';
import { backtest } from '../../test/support/book.js';
import { loadKrakenCsv } from '../../test/support/candles-csv.js';
import { BUNDLED_DATA_DIR } from '../../test/support/market-data.js';
import { REPORT_CANDLES_MAX, writeBacktestReport } from './index.js';
import { roundText } from '../ui/decimal-text.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const FROM = Date.UTC(2021, 0, 1);
const TO = Date.UTC(2022, 0, 1);

function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const msg = `chromium not found at ${CHROMIUM}: the report browser test needs it (apt-get install chromium; CHROMIUM_PATH overrides the path)`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${msg}. CI=true: a missing browser is a failure, not a skip`);
  process.stderr.write(`\n!!! SKIPPING the report browser test: ${msg} !!!\n\n`);
  return msg;
}

test('the HTML report renders its charts and every trade in chromium, offline, with no console errors', async (t) => {
  const missing = chromiumMissing();
  if (missing !== null) {
    t.skip(missing);
    return;
  }
  const book: BookConfigInput = {
    book_id: 'report-e2e', data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600 },
    skills: [{ skill: 'donchian-breakout', symbols: ['BTC/USD'] }, { skill: 'rsi-reversion', symbols: ['ETH/USD'] }],
    sizing: { mode: 'pct_equity', pct: '25' }, initial_cash: '10000',
  };
  const candles = [
    ...loadKrakenCsv(join(BUNDLED_DATA_DIR, 'kraken', 'XBTUSD_60.csv'), 'BTC/USD', 3600, { fromMs: FROM, toMs: TO }),
    ...loadKrakenCsv(join(BUNDLED_DATA_DIR, 'kraken', 'ETHUSD_60.csv'), 'ETH/USD', 3600, { fromMs: FROM, toMs: TO }),
  ];
  const r = await backtest(book, candles);
  assert.ok(r.summary.trades_closed >= 10, `the run should close some trades (got ${r.summary.trades_closed})`);
  const dir = mkdtempSync(join(tmpdir(), 'warden-report-'));
  const file = writeBacktestReport(join(dir, 'report.html'), {
    meta: { book_id: book.book_id, config_hash: r.book.config_hash, initial_cash: book.initial_cash, symbols: r.book.symbols, stream: null },
    summary: r.summary, events: r.events,
  });
  const url = pathToFileURL(file).href;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-charts="ready"]', { timeout: 15_000 });
    await page.waitForTimeout(300); // one animation frame or two for the canvases to paint
    // string expressions: the test compiles without the DOM library
    const canvases = await page.evaluate<Record<string, number[][]>>(`(() => {
      const size = (id) => [...document.querySelectorAll('#' + id + ' canvas')].map((c) => [c.width, c.height]);
      return { equity: size('equity-chart'), drawdown: size('drawdown-chart'), btc: size('price-chart-0'), eth: size('price-chart-1') };
    })()`);
    for (const [name, list] of Object.entries(canvases)) {
      assert.ok(list.length > 0, `${name} chart: no canvas`);
      assert.ok(list.some(([w, h]) => (w as number) > 100 && (h as number) > 100), `${name} chart: no canvas of non-zero size (${JSON.stringify(list)})`);
    }
    // the chart drew something: the largest equity canvas has dark (line) pixels
    const inked = await page.evaluate<number>(`(() => {
      const c = [...document.querySelectorAll('#equity-chart canvas')].sort((a, b) => b.width * b.height - a.width * a.height)[0];
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] < 200 || px[i + 1] < 200) n++;
      return n;
    })()`);
    assert.ok(inked > 100, `the equity chart painted only ${inked} dark pixels`);
    const rows = await page.locator('#trades tbody tr').count();
    assert.equal(rows, r.summary.trades_closed);
    const skillRows = await page.locator('#skills tbody tr td:first-child').allTextContents();
    assert.deepEqual(skillRows, ['donchian-breakout@1', 'rsi-reversion@1']);
    // money as in the dashboard: rounded to cents, the exact text on hover
    const equity = page.locator('#summary .fig').filter({ has: page.locator('.k', { hasText: /^final equity$/ }) }).locator('.v .num');
    assert.equal(await equity.getAttribute('title'), r.summary.final_equity, 'the exact final equity on hover');
    assert.equal(await equity.innerText(), roundText(r.summary.final_equity, 2));
    assert.match(await equity.innerText(), /^-?[\d,]+\.\d{2}$/);
    const firstPnl = page.locator('#trades tbody tr:first-child td:nth-child(9) .num');
    assert.match(await firstPnl.innerText(), /^-?[\d,]+\.\d{2}$/, 'trade P&L in cents');
    assert.ok(/^-?\d+(\.\d+)?$/.test((await firstPnl.getAttribute('title')) ?? ''), 'exact P&L on hover');
    // the price charts: candles and a marker per fill, per symbol, as the run recorded them
    const fillsOf = (symbol: string) => r.events.filter((e) => e.type === 'fill.executed' && (e.payload as { symbol: string }).symbol === symbol).length;
    for (const [i, symbol] of [[0, 'BTC/USD'], [1, 'ETH/USD']] as const) {
      const chart = page.locator(`#price-chart-${i}`);
      assert.equal(await chart.getAttribute('data-symbol'), symbol);
      assert.equal(Number(await chart.getAttribute('data-fills')), fillsOf(symbol), `${symbol}: one marker per fill`);
      const candles = Number(await chart.getAttribute('data-candles'));
      assert.ok(candles > 1000 && candles <= REPORT_CANDLES_MAX, `${symbol}: ${candles} candles (a year of hours, merged to at most ${REPORT_CANDLES_MAX})`);
    }
    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(requests, [url], 'no request beyond the page itself');
    const shot = join(tmpdir(), 'warden-report-e2e.png');
    await page.screenshot({ path: shot, fullPage: false });
    process.stderr.write(`report screenshot: ${shot}\n`);
  } finally {
    await browser.close();
  }
});
