/** The book as the runtime runs it: minimal pure decider, state codec and hash, kernel seam. */
export * from './state.js';
export * from './decider.js';
export * from './kernel.js';
