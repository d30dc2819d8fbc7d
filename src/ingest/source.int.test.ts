/**
 * The line reader shared by `warden ingest` and the backtest's CSV reader: the same lines as
 * node:readline (the oracle) for any text and any chunk size, a line too long refused as soon as
 * it is seen, and only regular files opened (a FIFO, a device or a directory is refused at once).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import fc from 'fast-check';
import '../../test/support/property.js';
import { IngestInputError } from './errors.js';
import { detectFormat, LINE_LENGTH_MAX, openRegularFile, readLineBlocks, readLines, readLineSpans, readPayload, sha256File } from './source.js';

const tmp = mkdtempSync(join(tmpdir(), 'warden-source-'));
let n = 0;
const file = (content: string | Buffer) => {
  const f = join(tmp, `f${++n}.csv`);
  writeFileSync(f, content);
  return f;
};

async function oracle(f: string): Promise<string[]> {
  const out: string[] = [];
  for await (const line of createInterface({ input: createReadStream(f), crlfDelay: Infinity })) out.push(line);
  return out;
}

async function ours(f: string, chunk: number): Promise<string[]> {
  const out: string[] = [];
  for await (const b of readLineBlocks(openRegularFile(f), f, undefined, chunk)) {
    assert.equal(b.first_line, out.length + 1, 'blocks are consecutive');
    out.push(...b.lines);
  }
  return out;
}

test('lines split exactly as node:readline splits them (\\n, \\r\\n, lone \\r, UTF-8 across chunks), any chunk size (fast-check)', async () => {
  const text = fc.string({ unit: fc.constantFrom('a', ',', '1', '\n', '\r', 'é', '€', '𝄞', ' '), maxLength: 60 });
  await fc.assert(fc.asyncProperty(text, fc.integer({ min: 1, max: 9 }), async (t, chunk) => {
    const f = file(t);
    assert.deepEqual(await ours(f, chunk), await oracle(f), JSON.stringify(t));
  }), { numRuns: 300 });
  const f = file('a\r\nb\rc\n\nd');
  assert.deepEqual(await ours(f, 1), ['a', 'b', 'c', '', 'd']);
  const numbered = [];
  for await (const l of readLines(f)) numbered.push([l.line, l.text]);
  assert.deepEqual(numbered, [[1, 'a'], [2, 'b'], [3, 'c'], [4, ''], [5, 'd']]);
});

test('an ASCII file comes as byte spans until a chunk is not ASCII, then as decoded strings; the same lines either way', async () => {
  const f = file(`1,2\r\n3,4\n5,6\n7,\u00e9\n8,9\n`);
  const kinds: string[] = [];
  const lines: string[] = [];
  for await (const b of readLineSpans(openRegularFile(f), f, undefined, 8)) {
    kinds.push(b.lines === null ? 'bytes' : 'text');
    for (let i = 0; i < b.count; i++) lines.push(b.lines?.[i] ?? b.bytes!.toString('latin1', b.spans![2 * i]!, b.spans![2 * i + 1]!));
  }
  assert.deepEqual(lines, ['1,2', '3,4', '5,6', '7,\u00e9', '8,9']);
  assert.equal(kinds[0], 'bytes');
  assert.equal(kinds[kinds.length - 1], 'text');
  assert.deepEqual(lines, await oracle(f));
});

test('a line longer than LINE_LENGTH_MAX is refused naming its line, even with no line end in sight', async () => {
  const ok = file(`1\n${'x'.repeat(LINE_LENGTH_MAX)}\n2\n`);
  assert.equal((await ours(ok, 1000)).length, 3);
  for (const content of [`1\n2\n${'x'.repeat(LINE_LENGTH_MAX + 1)}\n4\n`, `1\n2\n${'x'.repeat(LINE_LENGTH_MAX + 1)}`, `1\n2\n${'x'.repeat(20 * 1024 * 1024)}`]) {
    await assert.rejects(ours(file(content), 64 * 1024), (e: unknown) => {
      assert.ok(e instanceof IngestInputError);
      assert.match(e.message, new RegExp(`f\\d+\\.csv:3: line longer than ${LINE_LENGTH_MAX} characters`));
      return true;
    });
  }
});

test('only regular files are opened: a FIFO, /dev/zero, a directory and a missing file are refused at once', async () => {
  const fifo = join(tmp, 'pipe.csv');
  execFileSync('mkfifo', [fifo]);
  const cases: [string, RegExp][] = [
    [fifo, /a FIFO \(named pipe\); market data is read from regular files only/],
    ['/dev/zero', /a character device; market data is read from regular files only/],
    [tmp, /a directory; market data is read from regular files only/],
    [join(tmp, 'missing.csv'), /cannot read it \(ENOENT\)/],
  ];
  for (const [path, re] of cases) {
    assert.throws(() => openRegularFile(path), (e: unknown) => {
      assert.ok(e instanceof IngestInputError, String(e));
      assert.equal(e.exitCode, 65);
      assert.match(e.message, re);
      return true;
    });
  }
});

test('a regular file that fails to read (/proc/self/mem: EIO) is refused naming it, by every reader of a source file', async () => {
  // Found by the fuzz suite (seed 6707749): format detection, the payload reader and the file hash
  // read outside the line reader and let EIO through as an internal error (exit 70).
  const file = '/proc/self/mem';
  const refused = (e: unknown): boolean => {
    assert.ok(e instanceof IngestInputError, String(e));
    assert.equal(e.exitCode, 65);
    assert.match(e.message, /^\/proc\/self\/mem: cannot read it \(EIO\)$/);
    return true;
  };
  assert.throws(() => detectFormat(file), refused);
  assert.throws(() => readPayload(file), refused);
  await assert.rejects(sha256File(file), refused);
  await assert.rejects(async () => {
    for await (const _ of readLines(file)) void _;
  }, refused);
});
