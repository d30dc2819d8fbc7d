/**
 * The seeded suites' size and seed from the environment (test/support/suite-size.ts): a count
 * below the minimum (TAMPER_MUTATIONS=0, CRASH_KILLS=0) is refused by name, never an empty
 * suite that passes; the seed is fresh per run unless given, and a given one is used as is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { suiteCount, suiteSeed } from './support/suite-size.js';

test('a count defaults when unset and is refused below the minimum or when not a whole number', () => {
  assert.equal(suiteCount('TAMPER_MUTATIONS', undefined, 500, 500), 500);
  assert.equal(suiteCount('TAMPER_MUTATIONS', '', 500, 500), 500);
  assert.equal(suiteCount('TAMPER_MUTATIONS', '2000', 500, 500), 2000);
  assert.equal(suiteCount('CRASH_KILLS', '50', 50, 50), 50);
  for (const [name, text] of [['TAMPER_MUTATIONS', '0'], ['CRASH_KILLS', '0'], ['CRASH_KILLS', '49'], ['TAMPER_MUTATIONS', '499']] as const) {
    assert.throws(() => suiteCount(name, text, name === 'CRASH_KILLS' ? 50 : 500, name === 'CRASH_KILLS' ? 50 : 500), new RegExp(`^Error: ${name}=${text} is below the suite's minimum`));
  }
  for (const bad of ['-1', '1e3', '5.5', 'lots', ' 60', '0x40']) {
    assert.throws(() => suiteCount('CRASH_KILLS', bad, 50, 50), /^Error: CRASH_KILLS ".*": expected a whole number \(at least 50\)/, bad);
  }
});

test('a seed is drawn per run unless given; a given one is kept; a bad one is refused by name', () => {
  assert.equal(suiteSeed('TAMPER_SEED', '20261122'), 20261122);
  assert.equal(suiteSeed('TAMPER_SEED', '0'), 0);
  assert.equal(suiteSeed('CRASH_SEED', undefined, () => 7), 7);
  const drawn = new Set(Array.from({ length: 8 }, () => suiteSeed('CRASH_SEED', undefined)));
  assert.ok(drawn.size > 1, 'the default draw gives new seeds');
  for (const bad of ['-1', '2147483648', 'x', '1.5']) assert.throws(() => suiteSeed('CRASH_SEED', bad), /^Error: CRASH_SEED ".*": expected an integer/, bad);
});
