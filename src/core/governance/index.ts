/** Governance: directives and their lifecycle, the policy engine, execution modules (pure). */
export * from './directive.js';
export * from './policy.js';
export * from './modules.js';
export * from './skill-lifecycle.js';
