/**
 * `warden ingest` as a user runs it, on both engines: the real 2023-Q1 hourly BTC/USD file twice
 * (2,160 candles, then 0 new), and copies with one row altered, each rejected with exit 65, the
 * line and the rule named, and nothing written.
 */
import { EXTERNAL_DATA_DIR } from './support/market-data.js';
import { seedPgliteDir } from './support/pglite-template.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanEnv, runCliAsync } from './support/cli.js';
import { requirePostgres, tempPgDatabase, TEST_PG_URL, uniqueName } from './support/engines.js';
import { INGEST_BASELINE_BYTES_MAX } from '../src/cli/commands/ingest.js';

const SRC = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSD_60.csv');
const tmp = mkdtempSync(join(tmpdir(), 'warden-ingest-cli-'));
const PG_DB_PREFIX = 'warden_ingest';

let pgDb: { url: string; drop: () => Promise<void> };
before(async () => {
  await requirePostgres();
  pgDb = await tempPgDatabase(TEST_PG_URL, uniqueName(PG_DB_PREFIX));
});
after(() => pgDb.drop());

/** A copy of the real file with line `n` (1-based) rewritten by `edit`. */
function altered(name: string, n: number, edit: (cols: string[], lines: string[]) => string[] | null): string {
  const lines = readFileSync(SRC, 'utf8').trimEnd().split('\n');
  const out = edit(lines[n - 1]!.split(','), lines);
  if (out) lines[n - 1] = out.join(',');
  const file = join(tmp, `${name}_XBTUSD_60.csv`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const bad: [string, string, RegExp][] = [
  ['high below low', altered('highlow', 100, (c) => [c[0]!, c[1]!, '1', ...c.slice(3)]), /:100: \[high_low\]/],
  ['NaN close', altered('nan', 200, (c) => [...c.slice(0, 4), 'NaN', ...c.slice(5)]), /:200: \[finite\] close is "NaN"/],
  ['negative volume', altered('negvol', 300, (c) => [...c.slice(0, 5), '-1.5', c[6]!]), /:300: \[volume\] volume -1\.5 is negative/],
  ['duplicate timestamp, other values', altered('dup', 401, (c, lines) => [lines[399]!.split(',')[0]!, ...c.slice(1)]), /:401: \[order\] timestamp \d+ appears twice/],
  // Rows 500 and 501 swapped: every timestamp still aligned and unique, only the order is wrong.
  ['out-of-order row', altered('order', 501, (_c, lines) => {
    [lines[499], lines[500]] = [lines[500]!, lines[499]!];
    return null;
  }), /:501: \[order\] timestamp \d+ is not after the previous row's/],
];

for (const engine of ['pglite', 'postgres'] as const) {
  test(`ingest the real Q1 file twice, then reject altered copies [${engine}]`, async () => {
    if (engine === 'pglite') await seedPgliteDir(join(tmp, 'store.pglite')); // a new store without initdb's cost (./support/pglite-template.ts)
    const url = engine === 'pglite' ? `pglite:${join(tmp, 'store.pglite')}` : pgDb.url;
    const env = cleanEnv({ WARDEN_DATABASE_URL: url, WARDEN_LOG_LEVEL: 'warn' });
    assert.equal((await runCliAsync(['migrate'], env)).code, 0);
    const first = await runCliAsync(['ingest', '--json', SRC], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as { reports: { candles: number; accepted: number }[] }).reports[0]!.accepted, 2160);
    const second = await runCliAsync(['ingest', '--json', SRC], env);
    assert.equal(second.code, 0, second.stderr);
    const r2 = (JSON.parse(second.stdout) as { reports: { accepted: number }[] }).reports[0]!;
    assert.equal(r2.accepted, 0, 'the second run adds nothing');
    for (const [what, file, re] of bad) {
      const r = await runCliAsync(['ingest', '--symbol', 'BTC/USD', '--interval', '1h', file], env);
      assert.equal(r.code, 65, `${what}: ${r.stderr}`);
      assert.match(r.stderr, re, what);
      assert.match(r.stderr, /nothing written/, what);
    }
    const status = await runCliAsync(['data', 'status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const text = status.stdout;
    assert.match(text, /"rows": 2160/, 'still exactly the 2,160 candles of the first run');
    // a brief command opens the embedded store on V8's baseline WebAssembly compiler only (src/cli/context.ts briefWasm), and so does
    // an ingest of at most INGEST_BASELINE_BYTES_MAX; a bulk one does not: the same file named over that many bytes' worth (each already ingested)
    const debug = cleanEnv({ WARDEN_DATABASE_URL: url, WARDEN_LOG_LEVEL: 'debug' });
    const brief = await runCliAsync(['data', 'status'], debug);
    assert.equal(brief.code, 0, brief.stderr);
    assert.equal(/wasm_baseline_only/.test(brief.stderr + brief.stdout), engine === 'pglite', `data status [${engine}]: ${brief.stderr}`);
    const small = await runCliAsync(['ingest', SRC], debug);
    assert.equal(small.code, 0, small.stderr);
    assert.equal(/wasm_baseline_only/.test(small.stderr + small.stdout), engine === 'pglite', `a small ingest [${engine}]: ${small.stderr}`);
    const copies = Math.floor(INGEST_BASELINE_BYTES_MAX / statSync(SRC).size) + 1;
    const bulk = await runCliAsync(['ingest', ...Array<string>(copies).fill(SRC)], debug);
    assert.equal(bulk.code, 0, bulk.stderr);
    assert.doesNotMatch(bulk.stderr + bulk.stdout, /wasm_baseline_only/, `an ingest of more than ${INGEST_BASELINE_BYTES_MAX} bytes keeps the optimizing tier`);
  });
}
