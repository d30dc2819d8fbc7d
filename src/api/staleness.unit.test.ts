/** Staleness from a series' CTT: ACTIVE until the next candle is late, LATE, then STALE; thresholds configurable. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staleness } from './staleness.js';

const H = 3600;
const ctt = Date.UTC(2023, 0, 1, 12);

test('an hourly series: ACTIVE within its interval (+ a tenth), LATE after, STALE once a whole interval overdue', () => {
  assert.equal(staleness(ctt, H, ctt + 30 * 60_000).status, 'ACTIVE');
  assert.equal(staleness(ctt, H, ctt + (H + 359) * 1000).status, 'ACTIVE');
  assert.equal(staleness(ctt, H, ctt + (H + 360) * 1000).status, 'LATE');
  assert.equal(staleness(ctt, H, ctt + (2 * H - 1) * 1000).status, 'LATE');
  const s = staleness(ctt, H, ctt + 2 * H * 1000);
  assert.deepEqual(s, { status: 'STALE', overdue_s: H, age_s: 2 * H });
});

test('configured thresholds (warden serve --late-after-s / --stale-after-s) win; stale is never before late', () => {
  const rule = { late_after_s: 5, stale_after_s: 20 };
  assert.equal(staleness(ctt, 60, ctt + 64_000, rule).status, 'ACTIVE');
  assert.equal(staleness(ctt, 60, ctt + 65_000, rule).status, 'LATE');
  assert.equal(staleness(ctt, 60, ctt + 80_000, rule).status, 'STALE');
  assert.equal(staleness(ctt, 60, ctt + 70_000, { late_after_s: 30, stale_after_s: 1 }).status, 'ACTIVE', 'stale_after_s below late_after_s is raised to it');
  assert.equal(staleness(ctt, 60, ctt - 5_000).status, 'ACTIVE', 'a clock behind the CTT is not overdue');
});
