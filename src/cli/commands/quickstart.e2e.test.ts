/**
 * `warden quickstart --backtest` (what `npm start` ran before the live quick start), from an empty working directory (no prior state):
 * it migrates the embedded store in ./var, ingests the bundled Kraken BTC/USD and ETH/USD hourly
 * files, backtests config/quickstart.book.json from the store and writes ./var/reports/quickstart.html.
 * Its summary equals the backtest driver (src/backtest/run.ts) over the same files read by an
 * independent loader. A second run
 * ingests nothing new and gives the identical summary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backtest } from '../../../test/support/book.js';
import { loadKrakenCsv } from '../../../test/support/candles-csv.js';
import { cleanEnv } from '../../../test/support/cli.js';
import type { BookConfigInput } from '../../core/book/index.js';

const cli = fileURLToPath(new URL('../index.js', import.meta.url));
const root = fileURLToPath(new URL('../../../../', import.meta.url));

interface Out {
  store: string;
  ingested: { symbol: string; status: string; accepted: number; held_back: number }[];
  summary: Record<string, unknown> & { trades_closed: number; fingerprint: string };
  persisted: null;
  report: string;
}

function quickstart(cwd: string): Out {
  const env = cleanEnv({ WARDEN_LOG_LEVEL: 'warn' });
  const r = spawnSync(process.execPath, [cli, '--profile', join(root, 'config', 'embedded.env'), 'quickstart', '--backtest', '--json'], { cwd, env, encoding: 'utf8', timeout: 280_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Out;
}

test('warden quickstart --backtest works from a clean directory and again on the second run, with the summary of the same files in memory', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'warden-quickstart-'));
  t.after(() => rmSync(cwd, { recursive: true, force: true })); // ~130 MB of store
  const first = quickstart(cwd);
  assert.equal(first.store, 'pglite:./var/warden.pglite');
  assert.deepEqual(first.ingested.map((i) => [i.symbol, i.status, i.accepted, i.held_back]), [['BTC/USD', 'accepted', 70252, 1], ['ETH/USD', 'accepted', 63568, 0]]);
  assert.equal(first.report, join(cwd, 'var', 'reports', 'quickstart.html'));
  const page = readFileSync(first.report, 'utf8');
  const rows = page.slice(page.indexOf('<table id="trades">')).split('</tbody>')[0]?.match(/<tr>/g)?.length ?? 0;
  assert.equal(rows - 1, first.summary.trades_closed, 'one row per closed trade (plus the header)');
  assert.ok(first.summary.trades_closed > 50);
  const book = JSON.parse(readFileSync(join(root, 'config', 'quickstart.book.json'), 'utf8')) as BookConfigInput;
  const expected = (await backtest(book, [
    ...loadKrakenCsv(join(root, 'data', 'kraken', 'XBTUSD_60.csv'), 'BTC/USD', 3600, { dropLast: true }),
    ...loadKrakenCsv(join(root, 'data', 'kraken', 'ETHUSD_60.csv'), 'ETH/USD', 3600),
  ])).summary;
  assert.deepEqual(first.summary, { ...expected });
  const second = quickstart(cwd);
  assert.deepEqual(second.ingested.map((i) => [i.status, i.accepted]), [['already_ingested', 0], ['already_ingested', 0]]);
  assert.deepEqual(second.summary, first.summary);
  assert.ok(existsSync(join(cwd, 'var', 'warden.pglite')));
});
