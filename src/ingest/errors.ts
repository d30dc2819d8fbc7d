/** Ingestion errors with the exit codes the CLI uses (sysexits: 64 usage, 65 data). */
import type { IngestReport } from './ingest.js';

/** The input cannot be read as asked (unknown format, missing symbol, unreadable file): 64/65. */
export class IngestInputError extends Error {
  override name = 'IngestInputError';
  constructor(message: string, readonly exitCode = 65) {
    super(message);
  }
}

/** The gate rejected (or quarantined) a batch: nothing but the rejection record was written. */
export class BatchRejectedError extends Error {
  override name = 'BatchRejectedError';
  readonly exitCode = 65;
  constructor(readonly report: IngestReport) {
    const v = report.violations[0];
    super(
      `${report.source}: ${report.status}: ${report.violations_total} violation(s), nothing written` +
        (v ? `; first: ${v.where} [${v.rule}] ${v.message}` : ''),
    );
  }
}
