/**
 * The fuzz suite's seeded choices (mulberry32 underneath): every case is a pure function of
 * (seed, index), so one failing case reproduces from the two numbers the run prints.
 */
import { mulberry32 } from '../support/prng.js';

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** 0 <= n < max. */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

/** The seed of case `index` of a run with `seed`: cases do not depend on each other. */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

/** Numbers and decimals that are not what any Warden field accepts, or are borderline. */
export const JUNK_NUMBERS: readonly string[] = [
  '', ' ', 'NaN', 'nan', 'Infinity', '-inf', '1e4', '1E+400', '.5', '10000.', '00010000', '10,000', '-1', '-0', '+5', '0x10',
  '9'.repeat(85), '1.' + '0'.repeat(40) + '1', '１２３', '12 3', '1_000', 'null', 'true', '½', '1e-400', '18446744073709551616',
];

/** Strings that are names of Object.prototype members, or otherwise dangerous as keys / names. */
export const JUNK_NAMES: readonly string[] = [
  'constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'prototype', '', ' ', '../../etc/passwd', 'é', 'A'.repeat(300), '$(id)', "'; DROP TABLE events; --",
];
