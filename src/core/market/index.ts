/** Market data in the kernel: candles, symbols and pair metadata, aggregation, the ingestion gate's rules. */
export * from './candle.js';
export * from './symbols.js';
export * from './pairs.js';
export * from './time.js';
export * from './aggregate.js';
export * from './gate.js';
