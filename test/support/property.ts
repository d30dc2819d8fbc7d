/**
 * Test helper (not a test): one seed for every fast-check property of a test file. Each run draws
 * a new seed, prints it once, and sets it as fast-check's global seed, so the properties explore
 * new cases every run and a failure replays with PROPERTY_SEED=<printed seed> (fast-check's own
 * failure report names the same seed and the shrunk path). Import it for its effect before the
 * first fc.assert; a property must not pass a `seed` of its own (that would pin its cases again).
 */
import { randomInt } from 'node:crypto';
import { basename } from 'node:path';
import fc from 'fast-check';

/** Parses PROPERTY_SEED (a 32-bit integer, as fast-check takes it); a bad value is refused by name. */
export function propertySeedOf(text: string | undefined, draw: () => number = () => randomInt(-(2 ** 31), 2 ** 31)): number {
  if (text === undefined || text === '') return draw();
  if (!/^-?\d{1,10}$/.test(text) || Number(text) < -(2 ** 31) || Number(text) >= 2 ** 31) {
    throw new Error(`PROPERTY_SEED ${JSON.stringify(text)}: expected an integer in [-2147483648, 2147483647] (the seed a failed run printed)`);
  }
  return Number(text);
}

export const PROPERTY_SEED = propertySeedOf(process.env.PROPERTY_SEED);

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: PROPERTY_SEED });
console.log(`property tests: PROPERTY_SEED=${PROPERTY_SEED} (set it to replay this run's cases of ${basename(process.argv[1] ?? 'this file')})`);
