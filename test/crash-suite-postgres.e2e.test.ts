/**
 * The crash suite on PostgreSQL (./support/crash-suite.ts: kill -9 at seeded random points and
 * around operator commands, restart, the same result as the uninterrupted run; a missing
 * PostgreSQL fails). One engine per file: the runner's two slots run the PGlite and the PostgreSQL
 * halves side by side, each with its own time budget. The PGlite half: ./crash-suite-pglite.e2e.test.ts.
 */
import { crashSuite } from './support/crash-suite.js';

crashSuite('postgres');
