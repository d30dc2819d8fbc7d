/**
 * [F10] regression tests at the CLI, one per class of bad input found by the first fuzz run, on
 * real Kraken data: the multi-file ingest contract (every file tried, one result each, --json
 * lists all, exit = the first file not ingested) and the ingest classes (a fractional REST time,
 * an --interval that overflowed a column, an hourly file read as 1-minute candles) on BOTH
 * engines; and, engine-independent, profiles (--profile; Node pre-reads --env-file), store paths
 * (no store created by a status command, a path under a file, a lock that is a directory), output
 * paths checked before the run, and --book values. Every case: an exit code of the README table,
 * a message naming the file / option, no stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanEnv, runCliAsync } from './support/cli.js';
import { processStore } from './support/engines.js';
import { EXTERNAL_DATA_DIR } from './support/market-data.js';

const Q1 = readFileSync(join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSD_60.csv'), 'utf8').split('\n').filter((l) => l !== '');
const REST = JSON.parse(readFileSync(join(EXTERNAL_DATA_DIR, 'kraken-payloads', 'noobit_rest_OHLC_XXBTZUSD_60_2020-12-05.json'), 'utf8')) as { result: Record<string, number[][]> };
const noStack = (s: string) => assert.doesNotMatch(s, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');

interface Report { file: string; status: string; exit_code: number; error?: string; violations?: { where: string; rule: string }[] }

for (const engine of ['pglite', 'postgres'] as const) {
  describe(`ingest: the multi-file contract and the ingest classes [${engine}]`, () => {
    let env: Record<string, string>;
    let dir: string;
    let cleanup: () => Promise<void> = async () => undefined;
    after(() => cleanup());

    test('migrate', async () => {
      const s = await processStore(engine, 'warden-badinput');
      ({ dir, cleanup } = s);
      env = cleanEnv({ WARDEN_DATABASE_URL: s.url, WARDEN_LOG_LEVEL: 'error' });
      assert.equal((await runCliAsync(['migrate'], env)).code, 0);
    });

    test('A accepted, B rejected, C unreadable, D accepted: every file tried, one result each, exit 65 (the first not ingested)', async () => {
      writeFileSync(join(dir, 'XBTUSD_60.csv'), Q1.slice(0, 100).join('\n') + '\n');
      const rest = structuredClone(REST);
      (rest.result['XXBTZUSD']![5]![0] as number) += 0.5; // a fractional time: the row's schema violation, not an interval of 3599.5 s
      writeFileSync(join(dir, 'ohlc.json'), JSON.stringify(rest));
      writeFileSync(join(dir, 'ETHUSD_60.csv'), Q1.slice(0, 50).join('\n') + '\n'); // the rows of another pair's file: the gate cannot tell; accepted
      const files = ['XBTUSD_60.csv', 'ohlc.json', 'missing.csv', 'ETHUSD_60.csv'].map((f) => join(dir, f));
      const r = await runCliAsync(['ingest', '--json', ...files], env);
      assert.equal(r.code, 65, r.stderr);
      const out = JSON.parse(r.stdout) as { files: number; tried: number; ingested: number; rejected: number; aborted: unknown; reports: Report[] };
      assert.deepEqual({ files: out.files, tried: out.tried, ingested: out.ingested, rejected: out.rejected, aborted: out.aborted }, { files: 4, tried: 4, ingested: 2, rejected: 2, aborted: null });
      assert.deepEqual(out.reports.map((x) => [x.file, x.status, x.exit_code]), [[files[0], 'accepted', 0], [files[1], 'rejected', 65], [files[2], 'failed', 65], [files[3], 'accepted', 0]]);
      assert.match(out.reports[1]!.violations![0]!.where, /ohlc\.json result\.XXBTZUSD\[5\]/);
      assert.match(out.reports[2]!.error!, /missing\.csv: cannot read it \(ENOENT\)/);
      const st = JSON.parse((await runCliAsync(['data', 'status', '--json'], env)).stdout) as { series: { symbol: string; rows: number }[] };
      assert.deepEqual(st.series.map((s) => [s.symbol, s.rows]).sort(), [['BTC/USD', 100], ['ETH/USD', 50]]);
      // Text form: one line per file and a summary; the exit names the first file not ingested.
      const text = await runCliAsync(['ingest', files[2]!, files[0]!], env);
      assert.equal(text.code, 65);
      assert.match(text.stderr, /missing\.csv: FAILED \(exit 65\); nothing written/);
      assert.match(text.stdout, /XBTUSD_60\.csv: already_ingested BTC\/USD/);
      assert.match(text.stdout, /2 files: 1 ingested, 1 not/);
      noStack(text.stderr);
    });

    test('--interval out of range is 64 before any file; an hourly file read as 1-minute candles is refused at the row that decides it', async () => {
      const big = await runCliAsync(['ingest', '--interval', '999999w', join(dir, 'ohlc.json')], env);
      assert.equal(big.code, 64);
      assert.match(big.stderr, /--interval "999999w": 604799395200s is outside 60s\.\.1296000s/);
      writeFileSync(join(dir, 'hourly.csv'), Q1.slice(100, 200).join('\n') + '\n');
      const r = await runCliAsync(['ingest', '--format', 'kraken-ohlcvt', '--symbol', 'BTC/USD', '--interval', '1m', join(dir, 'hourly.csv')], env);
      assert.equal(r.code, 65, r.stderr);
      assert.match(r.stderr, /hourly\.csv:65: \[symbol\] none of the first 64 steps between consecutive candles is 60s \(the smallest is 3600s\)/);
      const st = JSON.parse((await runCliAsync(['data', 'status', '--json'], env)).stdout) as { series: { symbol: string; interval_s: number }[] };
      assert.ok(!st.series.some((s) => s.interval_s === 60), 'no 1-minute series was written');
    });

    test('a lone-CR (classic Mac) file ingests the rows an LF file does; backtest --persist on a trades file is 65 "not a candle file", nothing ingested', async () => {
      writeFileSync(join(dir, 'cr.csv'), Q1.slice(300, 340).join('\r') + '\r');
      const r = await runCliAsync(['ingest', '--json', '--symbol', 'ETH/USD', '--interval', '1h', join(dir, 'cr.csv')], env);
      assert.equal(r.code, 0, r.stderr);
      const rep = (JSON.parse(r.stdout) as { reports: { status: string; format: string; accepted: number }[] }).reports[0]!;
      assert.deepEqual([rep.status, rep.format, rep.accepted], ['accepted', 'kraken-ohlcvt', 40]);

      const series = async () => (JSON.parse((await runCliAsync(['data', 'status', '--json'], env)).stdout) as { series: unknown[] }).series;
      const before = await series();
      mkdirSync(join(dir, 'trades'), { recursive: true });
      writeFileSync(join(dir, 'trades', 'XBTUSD.csv'), Q1.slice(400, 450).map((l, i) => { const f = l.split(','); return `${Number(f[0]) + i},${f[4]},0.5`; }).join('\n') + '\n');
      const book = JSON.parse(readFileSync('config/reference.book.json', 'utf8')) as { data: { source: { paths: Record<string, string> } } };
      book.data.source.paths = { 'BTC/USD': 'trades/XBTUSD.csv' };
      writeFileSync(join(dir, 'trades.book.json'), JSON.stringify(book));
      for (const persist of [[], ['--persist']]) {
        const b = await runCliAsync(['backtest', '--config', join(dir, 'trades.book.json'), ...persist], env);
        assert.equal(b.code, 65, `${persist.join('')}: ${b.stderr}`); // --persist said "--interval must be 1m" (exit 64): an option nobody gave
        assert.match(b.stderr, /--config \S+trades\.book\.json: data\.source\.paths\.BTC\/USD: XBTUSD\.csv: kraken-trades is not a candle file/);
        noStack(b.stderr);
      }
      assert.deepEqual(await series(), before, 'nothing ingested');
    });
  });
}

describe('store paths, profiles, output paths and --book (no store needed)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-badinput-'));
  writeFileSync(join(dir, 'afile'), 'x');
  const env = (url: string) => cleanEnv({ WARDEN_DATABASE_URL: url, WARDEN_LOG_LEVEL: 'error' });

  test('a status command on a pglite path with no store creates nothing (69 naming it); a path that is or runs under a file is 69', async () => {
    for (const [url, re] of [
      [`pglite:${join(dir, 'typo.pglite')}`, /typo\.pglite \(WARDEN_DATABASE_URL\): there is no store there; nothing was created/],
      [`pglite:${join(dir, 'afile')}`, /afile \(WARDEN_DATABASE_URL\): it is a file, not a store directory/],
      [`pglite:${join(dir, 'afile', 'x')}`, /a part of the path is a file, not a directory/],
    ] as const) {
      for (const cmd of [['migrate', 'status'], ['data', 'status']]) {
        const r = await runCliAsync(cmd, env(url));
        assert.equal(r.code, 69, `${cmd.join(' ')} ${url}: ${r.stderr}`);
        assert.match(r.stderr, re);
        noStack(r.stderr);
      }
    }
    assert.deepEqual(readdirSync(dir).sort(), ['afile']);
    mkdirSync(join(dir, 'd.pglite.lock'));
    const lock = await runCliAsync(['migrate'], env(`pglite:${join(dir, 'd.pglite')}`));
    assert.equal(lock.code, 69);
    assert.match(lock.stderr, /d\.pglite\.lock is a directory; Warden writes a regular file there/);
  });

  test('--profile: missing, "", a directory, a FIFO or /dev/zero is 78 naming it (Node pre-reads --env-file: exit 9 there)', async () => {
    spawnSync('mkfifo', [join(dir, 'fifo')]);
    for (const [p, re] of [['missing.env', /cannot read it \(ENOENT\)/], ['', /the path is empty/], [dir, /a directory, not a regular file/], [join(dir, 'fifo'), /a FIFO/], ['/dev/zero', /a character device/]] as const) {
      const r = await runCliAsync(['--profile', p, 'data', 'status'], cleanEnv());
      assert.equal(r.code, 78, `--profile ${p}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.match(r.stderr, /profile "/);
    }
    const both = await runCliAsync(['--profile', join(dir, 'afile'), '--env-file', join(dir, 'afile'), 'data', 'status'], cleanEnv()); // an existing file: Node pre-reads it too
    assert.equal(both.code, 64);
  });

  test('--book that is no book id or stream name is 64 before the store is opened; "" is not "all books"', async () => {
    for (const book of ['../x', '', 'UPPER', 'book:../x']) {
      const r = await runCliAsync(['replay', 'verify', '--book', book], env(`pglite:${join(dir, 'none.pglite')}`));
      assert.equal(r.code, 64, `--book ${JSON.stringify(book)}: ${r.stderr}`);
      assert.match(r.stderr, /--book ".*": expected a book id/);
    }
    assert.equal(existsSync(join(dir, 'none.pglite')), false);
  });

  test('a time that does not exist is 64 naming the option, never rolled over (2023-02-30) or read as 19xx (0000-01-01)', async () => {
    for (const args of [['replay', 'hour', '2023-02-30T10:00:00Z'], ['replay', 'window', '--from', '2023-02-30', '--to', '2023-03-05'], ['replay', 'hour', '0000-01-01']]) {
      const r = await runCliAsync(args, env(`pglite:${join(dir, 'none.pglite')}`));
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /expected a UTC time/);
    }
    const b = await runCliAsync(['backtest', '--config', 'config/reference.book.json', '--to', '0000-01-01'], cleanEnv());
    assert.equal(b.code, 64, b.stderr);
    assert.match(b.stderr, /--to: expected a UTC date from 1970/);
  });

  test('a book whose data.timeframe_s does not match its file does not run on the wrong bars (65 naming file:line)', async () => {
    writeFileSync(join(dir, 'btc.csv'), Q1.slice(0, 200).join('\n') + '\n'); // hourly rows; the name names no interval
    const book = JSON.parse(readFileSync('config/reference.book.json', 'utf8')) as { data: { timeframe_s: number; source: { paths: Record<string, string> } } };
    book.data.source.paths = { 'BTC/USD': 'btc.csv' };
    book.data.timeframe_s = 60;
    writeFileSync(join(dir, 'book60.json'), JSON.stringify(book));
    const r = await runCliAsync(['backtest', '--config', join(dir, 'book60.json')], cleanEnv());
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, /btc\.csv:65: \[symbol\] none of the first 64 steps between consecutive candles is 60s/);
    assert.equal(r.stdout, '');
  });

  test('backtest: a lone-CR file runs as its LF twin; a file of no known format or a symbol with no file names the config and its data.source.paths entry (never "--format", an option backtest has not)', async () => {
    const book = JSON.parse(readFileSync('config/reference.book.json', 'utf8')) as { data: { source: { paths: Record<string, string> } } };
    const run = async (name: string, text: string | null, paths: Record<string, string> = { 'BTC/USD': name }) => {
      if (text !== null) writeFileSync(join(dir, name), text);
      book.data.source.paths = paths;
      writeFileSync(join(dir, `${name}.book.json`), JSON.stringify(book));
      return runCliAsync(['backtest', '--json', '--config', join(dir, `${name}.book.json`)], cleanEnv());
    };
    const fingerprint = (stdout: string) => (JSON.parse(stdout) as { summary: { fingerprint: string } }).summary.fingerprint;
    const lf = await run('lf.csv', Q1.slice(0, 120).join('\n') + '\n');
    const cr = await run('cr.csv', Q1.slice(0, 120).join('\r') + '\r');
    assert.equal(lf.code, 0, lf.stderr);
    assert.equal(cr.code, 0, cr.stderr); // was 65: "cannot tell the format from its first line (690 fields); pass --format"
    assert.equal(fingerprint(cr.stdout), fingerprint(lf.stdout));

    const tab = await run('tab.csv', Q1.slice(0, 120).map((l) => l.replaceAll(',', '\t')).join('\n') + '\n');
    assert.equal(tab.code, 65, tab.stderr);
    assert.match(tab.stderr, /--config \S+tab\.csv\.book\.json: data\.source\.paths\.BTC\/USD: tab\.csv: cannot tell the format from its first line \(1 comma-separated fields\); expected Kraken OHLCVT rows/);
    assert.doesNotMatch(tab.stderr, /--format/);
    const none = await run('none.csv', null, { 'ETH/USD': 'lf.csv' });
    assert.equal(none.code, 78, none.stderr);
    assert.match(none.stderr, /--config \S+none\.csv\.book\.json: data\.source\.paths has no file for BTC\/USD/);
    for (const r of [tab, none]) {
      noStack(r.stderr);
      assert.equal(r.stdout, '');
    }
  });

  test('book config: a JSON syntax error is 78 naming file:line:column; a UTF-8 byte-order mark is not one (same config hash)', async () => {
    const text = readFileSync('config/reference.book.json', 'utf8');
    writeFileSync(join(dir, 'comma.book.json'), text.replace('"initial_cash"', '"initial_cash",'));
    const line = text.split('\n').findIndex((l) => l.includes('"initial_cash"')) + 1;
    const bad = await runCliAsync(['backtest', '--config', join(dir, 'comma.book.json')], cleanEnv());
    assert.equal(bad.code, 78, bad.stderr);
    assert.match(bad.stderr, new RegExp(`comma\\.book\\.json:${line}:17: not valid JSON \\(Unexpected token ','\\)\\n$`)); // Node says no position for this one
    noStack(bad.stderr);
    const plain = text.replace('../data/kraken/', `${process.cwd()}/data/kraken/`);
    writeFileSync(join(dir, 'plain.book.json'), plain);
    writeFileSync(join(dir, 'bom.book.json'), '\ufeff' + plain); // was 78: "not valid JSON (Unexpected token '\ufeff', ...)"
    const [bom, ref] = await Promise.all(['bom', 'plain'].map((n) => runCliAsync(['backtest', '--json', '--config', join(dir, `${n}.book.json`), '--to', '2014-01-01'], cleanEnv())));
    assert.equal(bom!.code, 0, bom!.stderr);
    const out = (r: { stdout: string }) => JSON.parse(r.stdout) as { config_hash: string; summary: { bars: number; fingerprint: string } };
    assert.ok(out(bom!).summary.bars > 0);
    assert.deepEqual([out(bom!).config_hash, out(bom!).summary.fingerprint], [out(ref!).config_hash, out(ref!).summary.fingerprint]);
  });

  test('--report / --out that cannot be written is 64 before the run, naming it; nothing is written', async () => {
    writeFileSync(join(dir, 'XBTUSD_60.csv'), Q1.slice(0, 80).join('\n') + '\n');
    const book = JSON.parse(readFileSync('config/reference.book.json', 'utf8')) as { data: { source: { paths: Record<string, string> } } };
    book.data.source.paths = { 'BTC/USD': 'XBTUSD_60.csv' };
    writeFileSync(join(dir, 'book.json'), JSON.stringify(book));
    const before = readdirSync(dir).sort();
    for (const [out, re] of [[dir, /a directory; expected a file path to write/], ['', /--report: the path is empty/], ['/dev/full', /a character device/], [join(dir, 'afile', 'r.html'), /afile is a file, not a directory/]] as const) {
      const r = await runCliAsync(['backtest', '--config', join(dir, 'book.json'), '--report', out], cleanEnv());
      assert.equal(r.code, 64, `--report ${out}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '', 'the run did not happen');
    }
    const m = await runCliAsync(['replay', 'manifest', '--out', dir], env(`pglite:${join(dir, 'none.pglite')}`));
    assert.equal(m.code, 64);
    assert.match(m.stderr, /--out .*: a directory/);
    assert.deepEqual(readdirSync(dir).sort(), before);
  });
});
