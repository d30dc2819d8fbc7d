/** Event envelope, canonical bytes and the hash chain. */
export * from './envelope.js';
