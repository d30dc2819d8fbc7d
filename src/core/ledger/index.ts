/** The FIFO ledger: fills -> lots -> trades, the cash ledger and its invariants. Pure. */
export * from './ledger.js';
