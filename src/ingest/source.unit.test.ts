/**
 * Format detection from a file's first bytes (source.ts formatOfHead): the first line ends where
 * the line reader ends it, a lone \r (classic Mac line ends) included, so a file the reader reads
 * is never refused as "one line of 400 fields"; what to do when the format cannot be told is the
 * caller's to say (`warden ingest` has --format, the backtest's reader has not).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IngestInputError } from './errors.js';
import { formatOfHead } from './source.js';

const ROWS = ['1672531200,16528.7,16530,16505.2,16519.3,96.61968029,803', '1672534800,16519.3,16539.6,16518,16539,83.54537961,744'];

test('the first line ends at \\n, \\r\\n or a lone \\r', () => {
  for (const eol of ['\n', '\r\n', '\r']) {
    assert.equal(formatOfHead('XBTUSD_60.csv', ROWS.join(eol) + eol), 'kraken-ohlcvt', JSON.stringify(eol));
    assert.equal(formatOfHead('btc.csv', ['time,open,high,low,close,volume', ...ROWS.map((r) => r.split(',').slice(0, 6).join(','))].join(eol)), 'ohlcv-csv', JSON.stringify(eol));
    assert.equal(formatOfHead('XBTUSD.csv', ['1672531200.1,16528.7,0.5', '1672531201.2,16528.8,0.1'].join(eol)), 'kraken-trades', JSON.stringify(eol));
  }
});

test('a first line of neither format is refused naming the file, with the caller\'s advice', () => {
  const tabs = ROWS.map((r) => r.replaceAll(',', '\t')).join('\n');
  assert.throws(() => formatOfHead('/x/tab.csv', tabs), (e: unknown) => e instanceof IngestInputError && e.exitCode === 65 && /^tab\.csv: cannot tell the format from its first line \(1 comma-separated fields\); pass --format$/.test(e.message));
  assert.throws(() => formatOfHead('/x/tab.csv', tabs, 'expected candles'), (e: unknown) => e instanceof IngestInputError && /fields\); expected candles$/.test(e.message));
});

test('UTF-16 text (with or without its byte-order mark) and binary files are refused as such, not shown', () => {
  const text = ROWS.join('\n') + '\n';
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]).toString('utf8'); // as head() decodes it
  const be = Buffer.from(text, 'utf16le').swap16().toString('utf8');
  for (const head of [le, be]) {
    assert.throws(() => formatOfHead('/x/XBTUSD_60.csv', head), (e: unknown) => e instanceof IngestInputError && e.exitCode === 65 &&
      /^XBTUSD_60\.csv:1: NUL bytes in the first bytes: UTF-16 text; expected UTF-8 \(or ASCII\) text: save it as UTF-8$/.test(e.message) && !e.message.includes('\u0000'));
  }
  const binary = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]).toString('utf8'); // a zip file's first bytes
  assert.throws(() => formatOfHead('/x/data.csv', binary), (e: unknown) => e instanceof IngestInputError && /^data\.csv:1: NUL bytes in the first bytes: not a text file; expected UTF-8 \(or ASCII\) text$/.test(e.message));
});
