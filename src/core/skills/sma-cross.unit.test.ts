/**
 * sma-cross's sign on real data: on every bar of Kraken's 1-minute XBT/USDC file (2023 Q1, 56k
 * bars, many flat stretches of a thin market), smaSign equals the sign of the exact SMAs (big.js,
 * written here), including the bars where the float SMAs disagree with it. Those bars exist in
 * this file (the test requires them): the float rule made a spurious down-cross there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Big from 'big.js';
import { EXTERNAL_DATA_DIR } from '../../../test/support/market-data.js';
import { Decimal } from '../money/decimal.js';
import { sma } from '../indicators/index.js';
import { smaCross, smaSign } from './sma-cross.js';

const FILE = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSDC_1.csv');

test('sma-cross: the sign of fast - slow is exact on every bar of a real 1-minute file (float ties decided on the decimals)', () => {
  const texts = readFileSync(FILE, 'utf8').trim().split('\n').map((l) => (l.split(',')[4] as string).trim());
  const floats = Float64Array.from(texts, Number);
  const decimals = texts.map((t) => Decimal.parse(t));
  const params = smaCross.params.parse({ fast: 10, slow: 30, atr_period: 9 });
  let floatWrong = 0;
  let ties = 0;
  let sumFast = new Big(0);
  let sumSlow = new Big(0);
  for (let i = 0; i < texts.length; i++) {
    sumFast = sumFast.plus(texts[i] as string).minus(i >= params.fast ? (texts[i - params.fast] as string) : 0);
    sumSlow = sumSlow.plus(texts[i] as string).minus(i >= params.slow ? (texts[i - params.slow] as string) : 0);
    if (i + 1 < params.slow) continue;
    const exact = sumFast.times(params.slow).cmp(sumSlow.times(params.fast)); // sign(fast/10 - slow/30), no division
    const window = floats.subarray(i + 1 - params.slow, i + 1);
    const fast = sma(window, params.fast) as number;
    const slow = sma(window, params.slow) as number;
    const got = smaSign(fast, slow, { params, exactCloses: () => decimals.slice(i + 1 - params.slow, i + 1) });
    assert.equal(got, exact, `bar ${i + 1} of ${FILE}: smaSign ${got}, exact ${exact} (floats ${fast} vs ${slow})`);
    if (exact === 0) ties++;
    if ((fast > slow ? 1 : fast < slow ? -1 : 0) !== exact) floatWrong++;
  }
  assert.ok(ties > 0, 'the file has exact ties');
  assert.ok(floatWrong > 0, 'the file has bars where the float comparison is wrong (what smaSign exists for)');
});
