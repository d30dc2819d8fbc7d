/** Market data in the kernel: candles and (added by F3) symbols, pairs, aggregation. */
export * from './candle.js';
