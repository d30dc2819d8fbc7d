/**
 * The fuzz suite's generator: case `index` of a run with `seed` is one bad input, made from real
 * Kraken data (the 2023-Q1 hourly BTC/USD file, the REST OHLC and Trades payloads) and the
 * reference book, in one of six families: market CSV, REST JSON, book config, profile file,
 * process environment, CLI arguments. A case is the files to lay out in its own directory (the
 * CLI runs there), the arguments, extra environment, whether the command opens the store, and
 * the words one of which the message must contain (file:line, field, variable or option).
 * Placeholders: {store_url} (the worker's store) in file contents and environment values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXTERNAL_DATA_DIR } from '../support/market-data.js';
import { caseSeed, JUNK_NAMES, JUNK_NUMBERS, Rng } from './random.js';

export type Family = 'market-csv' | 'rest-json' | 'book-config' | 'profile' | 'env' | 'cli-args';
export const FAMILIES: readonly Family[] = ['market-csv', 'rest-json', 'book-config', 'profile', 'env', 'cli-args'];

export type CaseFile =
  | { readonly path: string; readonly content: string | Buffer }
  | { readonly path: string; readonly special: 'dir' | 'fifo' };

export interface FuzzCase {
  readonly index: number;
  readonly family: Family;
  /** What was done, for the failure report. */
  readonly what: string;
  readonly files: readonly CaseFile[];
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The profile or environment of the case names the store itself (else the runner sets WARDEN_*). */
  readonly ownConfig: boolean;
  /** The message (stderr, or stdout with --json) must contain one of these when the exit is not 0. */
  readonly names: readonly string[];
}

/** Rows of a real candle file (Kraken hourly BTC/USD, 2023-Q1): no gaps, so every mutation is the only fault. */
const seeds = (() => {
  let cache: { csv: string[]; ohlc: string; trades: string; book: Record<string, unknown> } | null = null;
  return () => {
    cache ??= {
      csv: readFileSync(join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSD_60.csv'), 'utf8').split('\n').filter((l) => l !== '').slice(0, 300),
      ohlc: readFileSync(join(EXTERNAL_DATA_DIR, 'kraken-payloads', 'noobit_rest_OHLC_XXBTZUSD_60_2020-12-05.json'), 'utf8'),
      trades: readFileSync(join(EXTERNAL_DATA_DIR, 'kraken-payloads', 'noobit_rest_Trades_XXBTZUSD_2020-12-05.json'), 'utf8'),
      book: JSON.parse(readFileSync('config/reference.book.json', 'utf8')) as Record<string, unknown>,
    };
    return cache;
  };
})();

/** The real rows the market cases start from (also what the runner seeds each store with). */
export function seedCsvRows(n: number): string[] {
  return seeds().csv.slice(0, n);
}

/** The reference book reading `csv` (a path relative to the book file) for BTC/USD. */
export function referenceBook(csv: string): Record<string, unknown> {
  const b = structuredClone(seeds().book) as { data: { source: { paths: Record<string, string> } } };
  b.data.source.paths = { 'BTC/USD': csv };
  return b as unknown as Record<string, unknown>;
}

// ---- market CSV ----------------------------------------------------------------------------

/** One mutation of the rows that makes the file surely bad (the gate or the parser refuses it). */
function breakRows(r: Rng, rows: string[]): string {
  const i = 1 + r.int(rows.length - 2);
  const f = rows[i]!.split(',');
  switch (r.int(11)) {
    case 0: f[1 + r.int(6)] = r.pick(JUNK_NUMBERS.filter((x) => !/^\d+$/.test(x))); rows[i] = f.join(','); return `row ${i + 1}: junk field`;
    case 1: rows[i] = f.slice(0, 1 + r.int(6)).join(','); return `row ${i + 1}: fields missing`;
    case 2: rows[i] = [...f, '1'].join(','); return `row ${i + 1}: a field too many`;
    case 3: [rows[i], rows[i - 1]] = [rows[i - 1]!, rows[i]!]; return `rows ${i}/${i + 1} swapped`;
    case 4: f[2] = String(Number(f[3]) - 1); rows[i] = f.join(','); return `row ${i + 1}: high below low`;
    case 5: f[5] = `-${f[5]}`; rows[i] = f.join(','); return `row ${i + 1}: negative volume`;
    case 6: f[0] = String(Number(f[0]) + 1 + r.int(3598)); rows[i] = f.join(','); return `row ${i + 1}: time off the hour`;
    case 7: rows[i] = 'x'.repeat(4097 + r.int(5000)); return `row ${i + 1}: a line longer than 4096`;
    case 8: rows.splice(i, 0, rows[i]!.replace(/,(\d+)$/, (_m, n: string) => `,${Number(n) + 1}`)); return `row ${i + 1}: the same time twice, different`;
    case 9: f[4] = String(Number(f[4]) * 20); f[2] = f[4]!; rows[i] = f.join(','); return `row ${i + 1}: a 20x jump (drift)`;
    default: f[0] = r.pick(['1672531200.5', '1672531200000', '-3600', '99999999999999999', '']); rows[i] = f.join(','); return `row ${i + 1}: not Unix seconds`;
  }
}

function marketCsv(r: Rng, index: number): FuzzCase {
  const rows = seedCsvRows(80 + r.int(120));
  let name = 'XBTUSD_60.csv';
  const done: string[] = [];
  if (r.chance(0.08)) {
    name = 'XBTUSD_1.csv'; // hourly rows read as 1-minute candles: the spacing rule refuses it
    done.push('named as 1-minute candles');
  } else {
    done.push(breakRows(r, rows));
    if (r.chance(0.3)) done.push(breakRows(r, rows));
  }
  let text = rows.join(r.chance(0.2) ? '\r\n' : '\n') + (r.chance(0.5) ? '\n' : '');
  let content: string | Buffer = text;
  if (r.chance(0.1)) {
    content = Buffer.concat([Buffer.from(text.slice(0, r.int(text.length))), Buffer.from([0, 0xff, 0xfe, 0x80, 0x0a])]);
    done.push('binary tail');
  } else if (r.chance(0.05)) {
    text = '';
    content = text;
    done.push('empty file');
  }
  const viaBacktest = r.chance(0.35);
  const files: CaseFile[] = [{ path: name, content }];
  let args: string[];
  if (viaBacktest) {
    files.push({ path: 'book.json', content: JSON.stringify(referenceBook(name)) });
    args = ['backtest', '--config', 'book.json', ...(r.chance(0.3) ? ['--json'] : [])];
  } else {
    args = ['ingest', ...(r.chance(0.3) ? ['--json'] : []), ...(r.chance(0.2) ? ['--gaps', 'reject'] : []), name];
  }
  return { index, family: 'market-csv', what: `${args[0]} ${name}: ${done.join('; ')}`, files, args, env: {}, ownConfig: false, names: [name] };
}

// ---- REST JSON -----------------------------------------------------------------------------

const JUNK_JSON: readonly unknown[] = [null, {}, [], true, 'abc', 1e308, -1, 1.5, 'NaN', 'x'.repeat(5000), [[1]], { __proto__: 1 }, '1e4', 2 ** 53 + 2];

function restJson(r: Rng, index: number): FuzzCase {
  const trades = r.chance(0.4);
  const doc = JSON.parse(trades ? seeds().trades : seeds().ohlc) as { error: unknown; result: Record<string, unknown> };
  const rows = (doc.result['XXBTZUSD'] as unknown[][]).slice(0, 60 + r.int(200));
  doc.result['XXBTZUSD'] = rows;
  const name = trades ? 'trades.json' : 'ohlc.json';
  const i = 1 + r.int(rows.length - 2);
  let what: string;
  let text: string | null = null;
  switch (r.int(9)) {
    case 0: {
      const j = r.int(rows[i]!.length);
      rows[i]![j] = r.pick(JUNK_JSON);
      what = `row ${i} element ${j} junk`;
      break;
    }
    case 1: rows[i] = rows[i]!.slice(0, r.int(rows[i]!.length)); what = `row ${i} too short`; break;
    case 2: rows[i] = r.pick(JUNK_JSON) as unknown[]; what = `row ${i} not an array`; break;
    case 3: doc.result['XETHZUSD'] = rows.slice(0, 3); what = 'two pairs'; break;
    case 4: doc.error = ['EGeneral:Invalid arguments']; what = 'a Kraken error'; break;
    case 5: text = JSON.stringify(doc).slice(0, r.int(2000)); what = 'truncated JSON'; break;
    case 6: text = '['.repeat(50_000 + r.int(50_000)) + ']'.repeat(10); what = 'deeply nested'; break;
    case 7: {
      const t = trades ? 2 : 0;
      rows[i]![t] = (rows[i]![t] as number) + 0.5;
      rows[i + 1]![t] = (rows[i]![t] as number) - 7200;
      what = `row ${i} fractional time, row ${i + 1} back in time`;
      break;
    }
    default: text = JSON.stringify(doc).replace('"result":{', '"result":{"__proto__":{"x":1},'); doc.error = []; what = '__proto__ in result'; break;
  }
  const content = text ?? JSON.stringify(doc);
  const args = ['ingest', ...(r.chance(0.3) ? ['--json'] : []), ...(r.chance(0.2) ? ['--interval', r.pick(['1h', '1m', '999999w', '0', '1.5h'])] : []), name];
  return { index, family: 'rest-json', what: `ingest ${name}: ${what}`, files: [{ path: name, content }], args, env: {}, ownConfig: false, names: [name, '--interval'] };
}

// ---- book config ---------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in `v` (objects and arrays included), as key lists. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (at.length > 0) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k]!, [...at, k], out);
  return out;
}

function bookConfig(r: Rng, index: number): FuzzCase {
  const csv = seedCsvRows(150).join('\n') + '\n';
  const book = referenceBook('XBTUSD_60.csv') as Json & Record<string, Json>;
  const files: CaseFile[] = [{ path: 'XBTUSD_60.csv', content: csv }];
  let content: string | null = null;
  let special: 'dir' | 'fifo' | null = null;
  let configArg = 'book.json';
  let what: string;
  let names: string[] = ['book.json'];
  const kind = r.int(10);
  if (kind <= 5) {
    const all = paths(book);
    const get = (q: (string | number)[]) => q.reduce<Json>((v, k) => (v as Record<string, Json>)[k as string]!, book);
    // Half the time a string leaf: the decimals ("10000", "0.26") are where malformed text does harm.
    const p = r.chance(0.5) ? r.pick(all.filter((q) => typeof get(q) === 'string')) : r.pick(all);
    const key = p[p.length - 1]!;
    let parent: Json = book;
    for (const k of p.slice(0, -1)) parent = (parent as Record<string, Json>)[k as string]!;
    const value: Json = r.chance(0.6) ? r.pick(JUNK_NUMBERS) : r.chance(0.5) ? r.pick(JUNK_NAMES) : r.pick(JUNK_JSON as Json[]);
    const op = r.int(5);
    const textKey = typeof key === 'number' ? String(p[p.length - 2]) : key;
    names = [textKey, ...p.filter((k): k is string => typeof k === 'string'), 'book.json'];
    if (typeof value === 'string' && value.trim() !== '') names.push(value); // a path: the message names the file it tried
    if (op === 0 && !Array.isArray(parent)) {
      delete (parent as Record<string, Json>)[key as string];
      what = `deleted ${p.join('.')}`;
    } else if (op === 1 && !Array.isArray(parent)) {
      (parent as Record<string, Json>)[r.pick(['extra', 'constructor', 'toString', 'slipage_bps'])] = value;
      what = `added an unknown key beside ${p.join('.')}`;
      names.push('extra', 'constructor', 'toString', 'slipage_bps', 'Unrecognized');
    } else {
      (parent as Record<string, Json>)[key as string] = value;
      what = `${p.join('.')} = ${JSON.stringify(value).slice(0, 40)}`;
    }
    if (op === 4 && !Array.isArray(parent)) {
      content = JSON.stringify(book).replace(`"${String(p[0])}":`, `"__proto__":{"x":1},"${String(p[0])}":`);
      what += '; a __proto__ key';
      names.push('__proto__');
    }
  } else if (kind === 6) {
    content = JSON.stringify(book).slice(0, r.int(600));
    what = 'truncated JSON';
  } else if (kind === 7) {
    content = r.pick(['', 'null', '[]', '42', '"x"', '\uFEFF{}', '{"book_id":', '{'.repeat(100_000)]);
    what = `content ${JSON.stringify(content.slice(0, 20))}`;
  } else if (kind === 8) {
    special = r.pick(['dir', 'fifo'] as const);
    what = `book.json is a ${special}`;
  } else {
    configArg = r.pick(['/dev/zero', '/dev/null', '', 'missing.json', 'XBTUSD_60.csv/book.json', '.']);
    what = `--config ${JSON.stringify(configArg)}`;
    names = [configArg === '' ? '--config' : configArg, '--config'];
  }
  if (special !== null) files.push({ path: 'book.json', special });
  else if (configArg === 'book.json') files.push({ path: 'book.json', content: content ?? JSON.stringify(book) });
  const args = ['backtest', '--config', configArg, ...(r.chance(0.2) ? ['--json'] : [])];
  return { index, family: 'book-config', what, files, args, env: {}, ownConfig: false, names };
}

// ---- profile files and the environment -----------------------------------------------------

const BAD_VARS: readonly [string, string][] = [
  ['WARDEN_DATABSE_URL', 'pglite:x'], ['WARDEN_LOG_LEVEL', 'loud'], ['WARDEN_HTTP_PORT', '99999'], ['WARDEN_HTTP_PORT', '-1'],
  ['WARDEN_BOOK', '../x'], ['WARDEN_BOOK', 'UPPER'], ['WARDEN_DATABASE_URL', 'mysql://x'], ['WARDEN_DATABASE_URL', 'pglite:'],
  ['WARDEN_DATABASE_URL', 'pglite:./no-store-here'], ['WARDEN_DATABASE_URL', 'pglite:/proc/warden'], ['WARDEN_DATABASE_URL', 'pglite:profile.env/x'],
  ['WARDEN_EXECUTION_PLANE', 'LIVE'], ['WARDEN_LEASE_TTL_MS', '1e4'], ['WARDEN_SNAPSHOT_EVERY_EVENTS', '0'], ['WARDEN_HTTP_HOST', '0.0.0.0'],
  ['WARDEN_', '1'], ['WARDEN_CONSTRUCTOR', '1'], ['WARDEN___PROTO__', '1'], ['WARDEN_BOOK_CONFIG', '/dev/zero'],
];

function profile(r: Rng, index: number): FuzzCase {
  const lines = ['WARDEN_DATABASE_URL={store_url}', 'WARDEN_LOG_LEVEL=error'];
  const names = ['profile.env'];
  const done: string[] = [];
  for (let n = 1 + r.int(3); n > 0; n--) {
    const k = r.int(8);
    if (k <= 2) {
      const [name, value] = r.pick(BAD_VARS);
      lines.splice(r.int(lines.length + 1), 0, `${name}=${value}`);
      names.push(name);
      done.push(`${name}=${value}`);
    } else if (k === 3) {
      lines.push(r.pick(['not an assignment', 'A="open', "B='open", '=1', 'export', '1A=1', 'A B=1']));
      done.push('a malformed line');
    } else if (k === 4) {
      lines.push(lines[0]!);
      done.push('a variable set twice');
    } else if (k === 5) {
      lines.push(`${r.pick(JUNK_NAMES.filter((x) => /^[A-Za-z_]\w*$/.test(x)))}=1`, 'constructor=2');
      done.push('keys named like prototype members');
    } else if (k === 6) {
      lines.push(`X=${'v'.repeat(70_000)}`);
      done.push('a 70 KB line');
    } else {
      lines.unshift('\uFEFFWARDEN_LOG_LEVEL=error');
      done.push('a BOM');
    }
  }
  const files: CaseFile[] = [];
  let arg = 'profile.env';
  const form = r.int(10);
  if (form === 0) {
    files.push({ path: 'profile.env', special: r.pick(['dir', 'fifo'] as const) });
    done.push('the profile is not a regular file');
  } else if (form === 1) {
    arg = r.pick(['/dev/zero', '', 'missing.env', '.', '/dev/null']);
    done.push(`--profile ${JSON.stringify(arg)}`);
    names.push('profile');
  } else {
    files.push({ path: 'profile.env', content: lines.join(r.chance(0.2) ? '\r\n' : '\n') + '\n' });
  }
  // The former name --env-file only with a regular file: Node itself pre-reads a --env-file argument
  // after the script name (that is why --profile exists), so a bad path there is not Warden's input.
  const command = r.pick([['data', 'status'], ['migrate', 'status'], ['book', 'status', '--book', 'main'], ['replay', 'verify', '--rebuild-only']]);
  const args = [form >= 2 && r.chance(0.15) ? '--env-file' : '--profile', arg, ...command];
  names.push(...command.filter((a) => !a.startsWith('--'))); // a valid profile: the command's own refusal names what it was given
  return { index, family: 'profile', what: `${args[0]}: ${done.join('; ')}`, files, args, env: {}, ownConfig: true, names };
}

function environment(r: Rng, index: number): FuzzCase {
  const env: Record<string, string> = { WARDEN_DATABASE_URL: '{store_url}', WARDEN_LOG_LEVEL: 'error' };
  const names: string[] = [];
  for (let n = 1 + r.int(2); n > 0; n--) {
    const [name, value] = r.pick(BAD_VARS);
    env[name] = value;
    names.push(name);
  }
  const command = r.pick([['data', 'status'], ['migrate', 'status'], ['ingest', 'x.csv'], ['replay', 'manifest']]);
  names.push(...command);
  return { index, family: 'env', what: `environment ${names.join(', ')}`, files: [{ path: 'x.csv', content: seedCsvRows(5).join('\n') }], args: command, env, ownConfig: true, names };
}

// ---- CLI arguments -------------------------------------------------------------------------

const DATES = ['2023-02-30', '2023-13-01', '0000-01-01', '2023-01-01T24:00Z', '2023-01-01 00:00', '-1', '1e3', '', '2023-1-1', '99999-01-01', '2023-01-05T10:00:00.5Z'];
const PATHS = ['.', '/dev/zero', '/dev/full', '/dev/null', '', 'missing.json', 'XBTUSD_60.csv/x', 'fifo', 'dir', '/proc/self/mem'];
const BOOKS = ['../x', '', 'UPPER', 'a b', 'x'.repeat(65), 'book:../x', 'backtest:', 'constructor', '__proto__', '-1'];

function cliArgs(r: Rng, index: number): FuzzCase {
  const files: CaseFile[] = [
    { path: 'XBTUSD_60.csv', content: seedCsvRows(120).join('\n') + '\n' },
    { path: 'book.json', content: JSON.stringify(referenceBook('XBTUSD_60.csv')) },
    { path: 'fifo', special: 'fifo' }, { path: 'dir', special: 'dir' },
  ];
  const v = (xs: readonly string[]) => r.pick(xs);
  // a directives command needs a book (--book, else WARDEN_BOOK, unset here): mostly a valid id with no stream, so the later checks run
  const book = () => (r.chance(0.8) ? ['--book', r.chance(0.7) ? 'main' : v(BOOKS)] : []);
  const forms: (() => string[])[] = [
    () => ['backtest', '--config', r.chance(0.5) ? 'book.json' : v(PATHS), ...(r.chance(0.6) ? ['--from', v(DATES)] : []), ...(r.chance(0.4) ? ['--to', v(DATES)] : []), ...(r.chance(0.4) ? ['--report', v(PATHS)] : [])],
    () => ['ingest', ...(r.chance(0.5) ? ['--interval', v(['0', '-1h', '999999w', '1.5h', '1h ', '1y', '60000000', '30s', ''])] : []), ...(r.chance(0.4) ? ['--symbol', v(['', 'BTC', 'BTC/USD/EUR', 'constructor', '__proto__', 'ETH/USD', 'é/USD'])] : []),
      ...(r.chance(0.3) ? ['--gap-max', v(JUNK_NUMBERS)] : []), ...(r.chance(0.3) ? ['--drift-factor-max', v(JUNK_NUMBERS)] : []), ...(r.chance(0.2) ? ['--pairs', v(PATHS)] : []),
      ...(r.chance(0.2) ? ['--format', v(['csv', '', 'kraken-ohlcvt', 'ohlcv-csv'])] : []), v([...PATHS, 'XBTUSD_60.csv'])],
    () => ['replay', 'verify', ...(r.chance(0.7) ? ['--book', v(BOOKS)] : []), ...(r.chance(0.3) ? ['--book-config', v(PATHS)] : []), ...(r.chance(0.3) ? ['--from-snapshot', v(JUNK_NUMBERS)] : [])],
    () => ['replay', 'hour', v(DATES), ...(r.chance(0.5) ? ['--book', v(BOOKS)] : [])],
    () => ['replay', 'window', '--from', v(DATES), '--to', v(DATES), ...(r.chance(0.5) ? ['--book', v(BOOKS)] : [])],
    () => ['replay', 'manifest', ...(r.chance(0.6) ? ['--out', v(PATHS)] : []), ...(r.chance(0.5) ? ['--compare', v([...PATHS, 'book.json', 'XBTUSD_60.csv'])] : []), ...(r.chance(0.4) ? ['--book', v(BOOKS)] : [])],
    () => ['book', v(['status', 'pause', 'resume', 'release']), '--book', v(BOOKS), ...(r.chance(0.5) ? ['--reason', v(['', 'x'.repeat(5000), 'ok'])] : [])],
    () => [v(['frobnicate', 'ingest', 'backtest', 'replay', 'data', 'migrate']), v(['--nope', '--json=1', '-x', '--', '--from'])],
    // governance ([F5]): the stores here hold no directive, so every approve/reject/retry is refused; every proposal carries a bad part
    () => ['directives', v(['approve', 'reject', 'retry']), v(['', 'D0', 'D1', 'x', `D${'9'.repeat(20)}`, '__proto__', 'D99']), '--as', v(['', 'Alice', 'a b', 'x'.repeat(65), 'alice', 'constructor']),
      ...(r.chance(0.6) ? ['--reason', v(['', 'x'.repeat(600), 'ok'])] : []), ...(r.chance(0.3) ? ['--wait-ms', v(JUNK_NUMBERS)] : []), ...book()],
    () => ['directives', 'propose', '--type', v(['order.open', '', 'nope', 'policy.change', 'constructor', '__proto__']), '--as', v(['alice', '', 'A']),
      ...(r.chance(0.6) ? [v(['--payload', '--payload-file']), v(['{', '[1]', '{"policy":{}}', '{"qty":0.5}', ...PATHS])] : []), ...(r.chance(0.3) ? ['--timebox-bars', v(JUNK_NUMBERS)] : []), ...book()],
    () => ['directives', v(['list', 'show']), ...(r.chance(0.5) ? ['--status', v(['', 'PROPOSED', 'done', '__proto__'])] : ['D0']), ...(r.chance(0.5) ? ['--limit', v(JUNK_NUMBERS)] : []), ...book()],
    // the skill registry: every id here is malformed or unknown (or the book has no stream)
    () => ['skills', 'show', v(['', 'x', 'nope@1', '__proto__', 'SMA@1', 'sma-cross']), ...book()],
    // [F8]: every port or host here is refused (a valid one would serve until killed)
    () => ['serve', ...(r.chance(0.5) ? ['--port', v(['-1', '70000', 'abc', '1.5', '99999999', '0x10'])] : ['--host', v(['0.0.0.0', '::', 'example.com', '8.8.8.8'])])],
  ];
  const args = r.pick(forms)();
  const names = args.filter((a) => a !== '').concat(['unknown', 'missing', 'argument', 'empty', 'WARDEN_BOOK']);
  return { index, family: 'cli-args', what: `argv ${JSON.stringify(args).slice(0, 200)}`, files, args, env: {}, ownConfig: false, names };
}

const MAKERS: Record<Family, (r: Rng, index: number) => FuzzCase> = {
  'market-csv': marketCsv, 'rest-json': restJson, 'book-config': bookConfig, profile, env: environment, 'cli-args': cliArgs,
};

/** Case `index` of the run with `seed`: the family rotates with the index, the rest is drawn. */
export function makeCase(seed: number, index: number): FuzzCase {
  const r = new Rng(caseSeed(seed, index));
  return MAKERS[FAMILIES[index % FAMILIES.length]!](r, index);
}
