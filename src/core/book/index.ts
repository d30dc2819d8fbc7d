/** The trading book: one decider (commands -> typed events -> one state), its codecs, config and tick rule. */
export * from './events.js';
export * from './codecs.js';
export * from './commands.js';
export * from './config.js';
export * from './state.js';
export * from './evolve.js';
export * from './decide.js';
export * from './orders.js';
export * from './tick.js';
export * from './ticks.js';
export * from './kernel.js';
export * from './probe.js';
export { artifactsOf, evaluationBody } from './govern.js';
export * from './epochs.js';
