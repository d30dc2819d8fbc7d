/**
 * The file boundary (files.ts) and the book config boundary (book-file.ts), class by class of the
 * [F10] findings: unbounded or blocking reads, output paths that fail after the work, a decimal
 * that reaches its parser after failing its format, names looked up on Object.prototype, and
 * "__proto__" keys dropped silently. Each expects the exit code of the README's table and a
 * message naming the file / field.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkOutputPath, FileInputError, openAtomicWriter, readSmallFile, writeFileAtomic } from './files.js';
import { BookFileError, loadBookFile } from './book-file.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-files-'));
const fifo = join(dir, 'fifo');
spawnSync('mkfifo', [fifo]);

const fails = (f: () => unknown, code: number, re: RegExp) => {
  assert.throws(f, (e: unknown) => e instanceof FileInputError && e.exitCode === code && re.test(e.message), `expected exit ${code} matching ${re}`);
};

test('readSmallFile: a regular file under the cap only; a FIFO, a device, a directory, "" or a bigger file is refused at once', () => {
  writeFileSync(join(dir, 'ok.txt'), 'A=1\n');
  assert.equal(readSmallFile(join(dir, 'ok.txt'), 100, 'x', 78), 'A=1\n');
  fails(() => readSmallFile(fifo, 100, '--profile fifo', 78), 78, /--profile fifo: a FIFO \(named pipe\), not a regular file/);
  fails(() => readSmallFile('/dev/zero', 100, '--profile /dev/zero', 78), 78, /a character device, not a regular file/);
  fails(() => readSmallFile(dir, 100, 'p', 65), 65, /a directory, not a regular file/);
  fails(() => readSmallFile('', 100, '--pairs', 65), 65, /--pairs: the path is empty/);
  fails(() => readSmallFile(join(dir, 'missing'), 100, 'p', 78), 78, /cannot read it \(ENOENT\)/);
  writeFileSync(join(dir, 'big.txt'), 'x'.repeat(101));
  fails(() => readSmallFile(join(dir, 'big.txt'), 100, 'p', 78), 78, /101 bytes \(at most 100\)/);
});

test('checkOutputPath: a directory, a device, "", or a path under a file is a usage error (64) before any work', () => {
  writeFileSync(join(dir, 'afile'), 'x');
  fails(() => checkOutputPath(dir, '--report'), 64, /a directory; expected a file path to write/);
  fails(() => checkOutputPath('/dev/full', '--report'), 64, /a character device/);
  fails(() => checkOutputPath('', '--out'), 64, /--out: the path is empty/);
  fails(() => checkOutputPath(join(dir, 'afile', 'x.html'), '--report'), 64, /afile is a file, not a directory/);
  fails(() => checkOutputPath(join(dir, 'afile', 'deeper', 'x.html'), '--report'), 64, /afile is a file, not a directory/);
  assert.doesNotThrow(() => checkOutputPath(join(dir, 'new', 'folders', 'x.html'), '--report'));
  assert.doesNotThrow(() => checkOutputPath(join(dir, 'afile'), '--report')); // an existing file is replaced
});

test('writeFileAtomic / openAtomicWriter: whole or nothing; a failed write is 74 and leaves no temporary file', () => {
  const target = join(dir, 'out', 'r.html');
  writeFileAtomic(target, 'one', '--report');
  assert.equal(readFileSync(target, 'utf8'), 'one');
  const w = openAtomicWriter(target, '--out');
  w.write('two, half');
  assert.equal(readFileSync(target, 'utf8'), 'one', 'the target is untouched until the commit');
  w.abort();
  assert.equal(readFileSync(target, 'utf8'), 'one');
  assert.deepEqual(readdirSync(join(dir, 'out')), ['r.html'], 'no temporary file left');
  // /proc/self is a directory where no file can be created: the write fails after the path check.
  fails(() => writeFileAtomic('/proc/self/warden-report.html', 'x', '--report'), 74, /--report \/proc\/self\/warden-report\.html: cannot write it \(\w+\); nothing was written/);
});

const BOOK = JSON.parse(readFileSync('config/reference.book.json', 'utf8')) as Record<string, unknown>;

async function bookFails(mutate: (b: Record<string, unknown>) => void, re: RegExp, text?: string): Promise<void> {
  const b = structuredClone(BOOK);
  mutate(b);
  const file = join(dir, 'book.json');
  writeFileSync(file, text ?? JSON.stringify(b));
  await assert.rejects(loadBookFile(file, `--config ${file}`), (e: unknown) => e instanceof BookFileError && e.exitCode === 78 && re.test(e.message), `expected ${re}`);
}

test('book config: a malformed decimal is exit 78 naming the field (never the parser\'s internal error)', async () => {
  for (const v of ['1e4', '.5', '10000.', '00010000', '10,000', '9'.repeat(85), '', '-5', ' 1']) {
    await bookFails((b) => (b.initial_cash = v), /initial_cash: a non-negative decimal string/);
    await bookFails((b) => ((b.sizing as Record<string, unknown>).pct = v), /sizing\.pct: a non-negative decimal string/);
    await bookFails((b) => ((b.fees as Record<string, unknown>).taker_pct = v), /fees\.taker_pct: a non-negative decimal string/);
  }
});

test('book config: a leading UTF-8 byte-order mark (a Windows editor\'s) is skipped: the same book, the same config hash', async () => {
  const plain = join(dir, 'plain.book.json');
  const bom = join(dir, 'bom.book.json');
  writeFileSync(plain, JSON.stringify(BOOK));
  writeFileSync(bom, '\ufeff' + JSON.stringify(BOOK));
  const [a, b] = [await loadBookFile(plain), await loadBookFile(bom)];
  assert.equal(b.book.config_hash, a.book.config_hash);
  assert.deepEqual(b.raw, a.raw);
});

test('book config: names are looked up as own keys only, never Object.prototype members', async () => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    await bookFails((b) => ((b.fees as Record<string, unknown>).schedule = name), new RegExp(`unknown fee schedule ${name.replace(/_/g, '_')} \\(known: kraken_2025, kraken_2020\\)`));
    await bookFails((b) => ((b.risk as Record<string, unknown>).profile = name), new RegExp(`risk: unknown risk profile "${name}"`));
  }
});

test('book config: a "__proto__" key anywhere is refused naming its path (it would be dropped silently)', async () => {
  const text = JSON.stringify(BOOK);
  await bookFails(() => undefined, /skills\[0\]\.params\.__proto__: "__proto__" is not allowed as a key/, text.replace('"fast":10', '"__proto__":{"fast":1},"fast":10'));
  await bookFails(() => undefined, /pairs\.__proto__: "__proto__" is not allowed/, text.replace('"pairs":{', '"pairs":{"__proto__":{"pair_decimals":1},'));
  await bookFails(() => undefined, /data\.source\.paths\.__proto__: "__proto__" is not allowed/, text.replace('"paths":{', '"paths":{"__proto__":"x",'));
  await bookFails(() => undefined, /nested deeper than 32 levels/, '{"x":' + '['.repeat(40) + ']'.repeat(40) + '}');
});

test('book config: not a regular file, too large or not JSON: exit 78 naming the file', async () => {
  await assert.rejects(loadBookFile(fifo, '--config fifo'), (e: unknown) => e instanceof BookFileError && /--config fifo: a FIFO/.test(e.message));
  await assert.rejects(loadBookFile('/dev/zero', '--config /dev/zero'), (e: unknown) => e instanceof BookFileError && /a character device/.test(e.message));
  mkdirSync(join(dir, 'd.json'), { recursive: true });
  await assert.rejects(loadBookFile(join(dir, 'd.json')), (e: unknown) => e instanceof BookFileError && /a directory/.test(e.message));
  await bookFails(() => undefined, /not valid JSON/, '{"book_id":');
  // where: file:line:column, also for the errors Node's JSON.parse gives no position for
  const file = join(dir, 'book.json');
  await bookFails(() => undefined, new RegExp(`^cannot read the book config --config ${file}:3:12: not valid JSON \\(Unexpected token`), '{\n "book_id": "x",\n "skills": True\n}');
  await bookFails(() => undefined, new RegExp(`^cannot read the book config --config ${file}:2:1: not valid JSON \\(Expected double-quoted property name`), '{"book_id": "x",\n}');
  assert.ok(existsSync(fifo));
});
