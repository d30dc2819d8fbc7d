/** The trading engine: book config, the one pure decider, its state and events, the backtest. */
export * from './config.js';
export * from './events.js';
export * from './state.js';
export * from './decider.js';
export * from './backtest.js';
export * from './codec.js';
export * from './book-kernel.js';
