/** Replay: rebuild (verify.ts) and re-execute (reexecute.ts) stored book streams, per hour or window (steps.ts). */
export * from './verify.js';
export * from './reexecute.js';
export * from './steps.js';
export * from './inputs.js';
