/** Replay: rebuild and verify stored streams (re-execution joins as the runtime feeds the kernel). */
export * from './verify.js';
