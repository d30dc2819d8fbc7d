/**
 * The feeds' pure parts: backoff delays (capped, jittered by an injected source), the token
 * bucket, WS v2 trade messages read exactly from their digits (never via a float), and feed
 * specs refused with the file, feed and field named.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { backoffDelayMs, TokenBucket } from './backoff.js';
import { FeedConfigError, loadFeedsFile, parseFeedSpec } from './config.js';
import { isoToUs, parseWsMessage, TradeMessageError } from './ws-messages.js';

test('backoff doubles from base to the cap; jitter spreads each delay over [d/2, d)', () => {
  const p = { base_ms: 1000, cap_ms: 60_000 };
  assert.deepEqual([1, 2, 3, 4, 7, 8, 50].map((a) => backoffDelayMs(p, a, () => 0)), [500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
  assert.deepEqual([1, 2, 7].map((a) => backoffDelayMs(p, a, () => 0.999)), [1000, 1999, 59_970]);
  assert.throws(() => backoffDelayMs(p, 1, () => 1), /jitter source returned 1/);
});

test('token bucket: capacity at once, then one per 1/rate seconds', () => {
  const b = new TokenBucket(2, 0.5, 0);
  assert.deepEqual([b.take(0), b.take(0), b.take(0)], [0, 0, 2000]);
  assert.deepEqual([b.take(4000), b.take(4000)], [0, 2000], 'the token borrowed at 0 was due at 2000; by 4000 one more has come');
  assert.equal(new TokenBucket(1, 1, 0).take(10_000), 0);
});

test('WS v2 trade messages: price and qty digits exactly as sent, timestamps to the microsecond', () => {
  const text = '{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":105944.20,"qty":0.00027625,"ord_type":"limit","trade_id":10218208,"timestamp":"2023-10-06T17:35:55.440295Z"},' +
    '{"symbol":"BTC/USD","side":"sell","price":0.30000000000000004,"qty":1E-8,"ord_type":"market","trade_id":10218209,"timestamp":"2023-10-06T17:35:56.123456789Z"}]}';
  const m = parseWsMessage(text, 'BTC/USD');
  assert.equal(m.kind, 'trades');
  if (m.kind !== 'trades') return;
  assert.deepEqual(m.trades.map((t) => [t.id, String(t.price), String(t.volume), t.time_us]), [
    [10218208, '105944.2', '0.00027625', 1696613755440295],
    [10218209, '0.30000000000000004', '0.00000001', 1696613756123456],
  ]);
  assert.equal(isoToUs('2023-10-06T17:35:55Z'), 1696613755000000);
  assert.throws(() => parseWsMessage(text, 'ETH/USD'), TradeMessageError);
  assert.throws(() => parseWsMessage('{"channel":"trade","data":[{"symbol":"BTC/USD","price":1,"qty":1,"trade_id":1.5,"timestamp":"x"}]}', 'BTC/USD'), /trade_id/);
  assert.deepEqual(parseWsMessage('{"channel":"heartbeat"}', 'BTC/USD'), { kind: 'other' });
  assert.deepEqual(parseWsMessage('{"method":"subscribe","success":false,"error":"Currency pair not supported"}', 'BTC/USD'), { kind: 'subscribed', ok: false, error: 'Currency pair not supported' });
});

test('feed specs: defaults filled in; a bad field is exit 78 naming the file, the feed and the field', () => {
  const s = parseFeedSpec({ kind: 'rest-ohlc', name: 'btc', pair: 'XBTUSD', interval: '1h' }, 'x');
  assert.equal(s.kind, 'rest-ohlc');
  if (s.kind === 'rest-ohlc') assert.deepEqual([s.interval, s.base_url, s.poll_ms, s.once], [3600, 'https://api.kraken.com', 30_000, false]);
  const dir = mkdtempSync(join(tmpdir(), 'warden-feeds-'));
  const file = join(dir, 'feeds.json');
  writeFileSync(file, JSON.stringify({ feeds: [{ kind: 'file-drop', name: 'a', dir: '.' }, { kind: 'rest-ohlc', name: 'b', pair: 'XBTUSD', interval: '7m', polling: 1 }] }));
  assert.throws(() => loadFeedsFile(file, 'WARDEN_FEEDS=feeds.json'), (e: FeedConfigError) =>
    e.exitCode === 78 && /WARDEN_FEEDS=feeds\.json feeds\[1\]\.interval: Kraken OHLC intervals/.test(e.message) && /polling/.test(e.message));
  writeFileSync(file, JSON.stringify({ feeds: [{ kind: 'file-drop', name: 'a', dir: '.' }, { kind: 'file-drop', name: 'a', dir: '.' }] }));
  assert.throws(() => loadFeedsFile(file), /two feeds are named "a"/);
  assert.throws(() => loadFeedsFile(join(dir, 'missing.json')), /cannot read the feeds file/);
  assert.throws(() => parseFeedSpec({ kind: 'tcp', name: 'x' }, 'warden feed'), FeedConfigError);
});
