/**
 * Crash suite, approvals in flight (./support/crash-approvals.ts, both engines; beside the crash
 * suite (./support/crash-suite.ts), in its own file so that each has its own time budget): a book
 * whose every entry waits for a named human trades the real Q1-2023 BTC/USD hourly candles and is
 * killed with SIGKILL between a proposal and its approval, with the approval recorded but not
 * applied, and at the commit of the approval's step; after each restart the approved order is
 * placed once and fills exactly once on the next bar, and replay verify passes.
 */
import { after, describe, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePostgres, TEST_PG_URL, uniqueName } from './support/engines.js';
import { EXTERNAL_DATA_DIR } from './support/market-data.js';
import { seedPgliteDir } from './support/pglite-template.js';
import { cli, runtimeVars, tempPgDatabase } from './runtime-proc.js';
import { APPROVAL_BOOK, approvalsInFlight, splitCandles } from './support/crash-approvals.js';

const Q1 = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSD_60.csv');
const LAST_CLOSE_MS = Date.parse('2023-04-01T00:00:00Z');

describe('crash suite: approvals in flight (kill -9 between proposal and approval, and between approval and fill)', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const setup = async (url: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-crash-approvals-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'book.json'), JSON.stringify(APPROVAL_BOOK));
    const vars = runtimeVars(url, join(dir, 'snapshots'), { WARDEN_BOOK_CONFIG: join(dir, 'book.json'), WARDEN_SNAPSHOT_EVERY_EVENTS: '400' });
    assert.equal((await cli(['init'], vars)).code, 0);
    return { vars, parts: splitCandles(Q1, dir) };
  };

  test('pglite', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-crash-approvals-pgl-'));
    dirs.push(dir);
    await seedPgliteDir(join(dir, 'db')); // a new store without initdb's cost (./support/pglite-template.ts); `warden init` migrates it
    const url = `pglite:${join(dir, 'db')}`;
    const { vars, parts } = await setup(url);
    console.log(`crash suite approvals pglite: ${await approvalsInFlight('pglite', url, vars, parts, LAST_CLOSE_MS, async () => undefined)}`);
  });

  test('postgres', { timeout: 300_000 }, async () => {
    await requirePostgres();
    const admin = new URL(TEST_PG_URL);
    admin.pathname = '/postgres';
    const db = await tempPgDatabase(admin.toString(), uniqueName('warden_crash_appr'));
    try {
      const { vars, parts } = await setup(db.url);
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        const expire = async () => void (await c.query(`UPDATE warden.streams SET lease_expires_at = now() WHERE stream = 'book:main'`));
        console.log(`crash suite approvals postgres: ${await approvalsInFlight('postgres', db.url, vars, parts, LAST_CLOSE_MS, expire)}`);
      } finally {
        await c.end();
      }
    } finally {
      await db.drop();
    }
  });
});
