/** Risk: versioned profiles, drawdown tiers, the intent gate seam and the risk gate. Pure. */
export * from './profile.js';
export * from './gate.js';
