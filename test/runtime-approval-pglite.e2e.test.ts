/**
 * Governance end to end through the CLI while the runtime runs, on PGlite (the approval reaches
 * the running runtime through its operator channel): ./support/runtime-approval.ts. One engine
 * per file: the runner's two slots run the PGlite and the PostgreSQL halves side by side. The
 * PostgreSQL half: ./runtime-approval-postgres.e2e.test.ts.
 */
import { runtimeApproval } from './support/runtime-approval.js';

runtimeApproval('pglite');
