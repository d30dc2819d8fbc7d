/** Paper execution: pair facts, fee schedules, next-bar fill rules. Pure. */
export * from './pairs.js';
export * from './fees.js';
export * from './fills.js';
