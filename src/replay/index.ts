/** Replay: rebuild (verify.ts), re-execute (reexecute.ts) and hour-by-hour views (hours.ts) of stored book streams. */
export * from './verify.js';
export * from './reexecute.js';
export * from './steps.js';
export * from './inputs.js';
export * from './hours.js';
