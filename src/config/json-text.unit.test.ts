/**
 * JSON text a user gives (json-text.ts): a syntax error is named source:line:column, including the
 * errors Node 20's JSON.parse reports with no position (an unexpected token: single quotes, a
 * comment, an unquoted key, `True`); a leading UTF-8 byte-order mark is skipped. The scanner that
 * finds the offset must agree with JSON.parse on what is valid, and with its position where it
 * gives one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { jsonErrorOffset, JsonTextError, lineColumn, parseJsonText } from './json-text.js';

const REFERENCE = readFileSync('config/reference.book.json', 'utf8');

/** Cases: valid and invalid JSON, each way the grammar can break. */
const CASES = [
  '{}', '[]', '0', '-0', '1.5e+3', '"x"', 'true', 'false', 'null', ' { "a" : [ 1 , { } , [ ] , "\\u00e9\\n" ] } ', '[[[[]]]]', '{"a":{"b":{"c":null}}}',
  '', ' ', '{', '[', '{"a"', '{"a":', '{"a":1', '{"a":1,', '{"a":1,}', '[1,]', '[1 2]', '{"a" 1}', '{"a":1 "b":2}', '{a:1}', "{'a':1}", '// c\n{}',
  '{"a":True}', '{"a":nul}', '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":-}', '{"a":+1}', '{"a":1e}', '{"a":"x\ny"}', '{"a":"\\x"}', '{"a":"\\u12g4"}',
  '{"a":"open', '{}}', '{} x', '[1]]', ']', '}', '{"a":[1,2}', '[{"a":1]', 'nan', 'NaN', 'Infinity', '{"a":1}\n,',
  REFERENCE, REFERENCE.replace('"initial_cash"', '"initial_cash",'), REFERENCE.replace(/,\s*"initial_cash"/, '"initial_cash"'), REFERENCE.replace('"10000"', "'10000'"),
];

test('jsonErrorOffset agrees with JSON.parse on every case, and with its position where it gives one', () => {
  for (const text of CASES) {
    let nodeError: string | null = null;
    try {
      JSON.parse(text);
    } catch (e) {
      nodeError = (e as Error).message;
    }
    const offset = jsonErrorOffset(text);
    if (nodeError === null) {
      assert.equal(offset, null, `${JSON.stringify(text)} is valid JSON`);
      continue;
    }
    assert.notEqual(offset, null, `${JSON.stringify(text)} is not valid JSON (${nodeError})`);
    const m = /at position (\d+)/.exec(nodeError);
    if (m !== null) assert.equal(offset, Number(m[1]), `${JSON.stringify(text)}: ${nodeError}`);
    if (/Unexpected end of JSON input/.test(nodeError)) assert.equal(offset, text.length, JSON.stringify(text));
  }
});

test('a 100k-deep document is scanned without overflowing the stack', () => {
  assert.equal(jsonErrorOffset('['.repeat(100_000) + ']'.repeat(100_000)), null);
  assert.equal(jsonErrorOffset('['.repeat(100_000) + ']'.repeat(99_999)), 200_000 - 1);
});

test('lineColumn is 1-based', () => {
  assert.deepEqual(lineColumn('ab\ncd\n', 0), { line: 1, column: 1 });
  assert.deepEqual(lineColumn('ab\ncd\n', 4), { line: 2, column: 2 });
  assert.deepEqual(lineColumn('ab\ncd\n', 6), { line: 3, column: 1 });
});

const refused = (text: string, re: RegExp, line: number, column: number) => {
  assert.throws(() => parseJsonText(text, 'book.json'), (e: unknown) => e instanceof JsonTextError && re.test(e.message) && e.line === line && e.column === column, `${JSON.stringify(text.slice(0, 40))}: expected ${re} at ${line}:${column}`);
};

test('parseJsonText: a syntax error is named where:line:column, also where Node gives no position', () => {
  const lines = REFERENCE.split('\n');
  const cashLine = lines.findIndex((l) => l.includes('"initial_cash"')) + 1;
  // Node: "Unexpected token ',', ..." (no position): the comma after the key
  refused(REFERENCE.replace('"initial_cash"', '"initial_cash",'), /^book\.json:\d+:\d+: not valid JSON \(Unexpected token/, cashLine, lines[cashLine - 1]!.indexOf('"initial_cash"') + 15);
  refused('{\n  "a": True\n}', /^book\.json:2:8: not valid JSON/, 2, 8);
  refused("{\n 'a': 1}", /^book\.json:2:2: not valid JSON/, 2, 2);
  refused('// my book\n{}', /^book\.json:1:1: not valid JSON \(Unexpected token '\/'\)$/, 1, 1); // not Node's snippet of the text, newlines and all
  refused('{"a": 1,\n}', /^book\.json:2:1: not valid JSON \(Expected double-quoted property name/, 2, 1);
  refused('{"a": 1', /^book\.json:1:8: not valid JSON/, 1, 8);
  refused('', /^book\.json:1:1: not valid JSON \(Unexpected end of JSON input\)/, 1, 1);
});

test('parseJsonText: a leading UTF-8 byte-order mark is skipped (the same document), one elsewhere is an error', () => {
  assert.deepEqual(parseJsonText('\ufeff' + REFERENCE, 'book.json'), JSON.parse(REFERENCE));
  assert.deepEqual(parseJsonText('\ufeff{"a":1}', 'x'), { a: 1 });
  refused('{"a":\ufeff1}', /^book\.json:1:6: not valid JSON/, 1, 6);
  refused('\ufeff\ufeff{}', /^book\.json:1:1: not valid JSON/, 1, 1);
});
