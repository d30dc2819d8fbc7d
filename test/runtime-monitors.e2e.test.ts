/**
 * The paper runtime runs its monitors on a timer (WARDEN_MONITOR_INTERVAL_MS), on both engines,
 * over a trading book on real Q1-2023 BTC/USD hourly candles: it logs monitors_started, a
 * `suggestion` line for the stale series (2023 data by today's clock: critical), records it once
 * in audit:suggestions however many passes ran, never writes the book's stream for it (SIGTERM
 * exits 0 and `warden replay verify` passes on the book and the audit stream).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BTC_2023Q1_HOURLY } from './support/candles-csv.js';
import { smaBookConfig } from './support/book-driver.js';
import { processStore } from './support/engines.js';
import { cli, RUNTIME_JS, runtimeVars, start } from './runtime-proc.js';

const BOOK = smaBookConfig('main');
const STALE = 'stale_data:BTC/USD 3600:critical';

async function scenario(engine: 'pglite' | 'postgres'): Promise<void> {
  const store = await processStore(engine, 'monitors-rt');
  const dir = mkdtempSync(join(tmpdir(), 'warden-monitors-rt-'));
  try {
    writeFileSync(join(dir, 'book.json'), JSON.stringify(BOOK));
    const vars = runtimeVars(store.url, join(dir, 'snapshots'), { WARDEN_BOOK_CONFIG: join(dir, 'book.json'), WARDEN_MONITOR_INTERVAL_MS: '1000' });
    assert.equal((await cli(['init'], vars)).code, 0);
    assert.equal((await cli(['ingest', BTC_2023Q1_HOURLY], vars)).code, 0);
    const rt = start([process.execPath, RUNTIME_JS], vars);
    const started = await rt.waitFor('monitors_started');
    assert.equal(started.interval_ms, 1000);
    const line = await rt.waitFor('suggestion');
    assert.deepEqual([line.monitor, line.severity, line.key, line.series, line.msg], ['stale_data', 'critical', STALE, 'BTC/USD 3600', 'suggestion']);
    // Let a few more passes run (one a second): they find the same condition and write nothing.
    await new Promise((r) => setTimeout(r, 3500));
    rt.child.kill('SIGTERM');
    assert.equal(await rt.exit, 0, rt.stderr());
    assert.equal(rt.lines.filter((l) => l.event === 'suggestion' && l.key === STALE).length, 1, 'logged once');

    const list = await cli(['monitors', 'list', '--json'], vars);
    assert.equal(list.code, 0, list.stderr);
    const page = JSON.parse(list.stdout) as { suggestions: { key: string; cleared: unknown }[] };
    assert.equal(page.suggestions.filter((s) => s.key === STALE).length, 1, 'recorded once');
    const v = await cli(['replay', 'verify'], vars);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /audit:suggestions: \d+ events verified/);
  } finally {
    await store.cleanup();
  }
}

describe('the runtime runs its monitors', () => {
  test('pglite', { timeout: 300_000 }, () => scenario('pglite'));
  test('postgres', { timeout: 300_000 }, () => scenario('postgres'));
});
