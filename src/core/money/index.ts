/** Exact money and quantities. See decimal.ts for representation, rounding modes and limits. */
export { Decimal, DecimalError, DECIMAL_SCALE_MAX, DECIMAL_TEXT_LENGTH_MAX } from './decimal.js';
export type { RoundingMode } from './decimal.js';
