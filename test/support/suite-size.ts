/**
 * Test helper (not a test): the size and seed of a seeded suite, from its environment variables.
 * A count below the suite's minimum is refused (TAMPER_MUTATIONS=0 or CRASH_KILLS=0 would empty
 * the suite and still pass); a seed is drawn fresh per run unless given, so each run explores new
 * cases and a failure replays from the printed seed.
 */
import { randomInt } from 'node:crypto';

/** An integer count from `name` (default when unset), refused below `min` or when not an integer. */
export function suiteCount(name: string, text: string | undefined, def: number, min: number): number {
  if (text === undefined || text === '') return def;
  if (!/^\d{1,9}$/.test(text)) throw new Error(`${name} ${JSON.stringify(text)}: expected a whole number (at least ${min})`);
  const n = Number(text);
  if (n < min) throw new Error(`${name}=${n} is below the suite's minimum of ${min}: a smaller run proves too little (raise it, or leave it unset for ${def})`);
  return n;
}

/** A 31-bit seed from `name`, or a fresh one per run. */
export function suiteSeed(name: string, text: string | undefined, draw: () => number = () => randomInt(0, 2 ** 31)): number {
  if (text === undefined || text === '') return draw();
  if (!/^\d{1,10}$/.test(text) || Number(text) >= 2 ** 31) throw new Error(`${name} ${JSON.stringify(text)}: expected an integer in [0, 2147483647] (the seed a run printed)`);
  return Number(text);
}
