/**
 * Governance end to end through the CLI while the runtime runs, on PostgreSQL (the approval
 * reaches the running runtime through the inbox + NOTIFY; a missing PostgreSQL fails):
 * ./support/runtime-approval.ts. One engine per file: the runner's two slots run the PGlite and
 * the PostgreSQL halves side by side. The PGlite half: ./runtime-approval-pglite.e2e.test.ts.
 */
import { runtimeApproval } from './support/runtime-approval.js';

runtimeApproval('postgres');
