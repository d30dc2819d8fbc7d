/** Ingestion errors with the exit codes the CLI uses (sysexits: 64 usage, 65 data). */
import type { Violation } from '../core/market/gate.js';
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

/**
 * A row of a source streamed straight to a consumer (the backtest's CSV reader) broke a gate
 * rule: nothing after it is handed on, and the consumer must drop what it made of the rows
 * before (exit 65). The message is `file:line: [rule] what, with the value`.
 */
export class GateViolationError extends Error {
  override name = 'GateViolationError';
  readonly exitCode = 65;
  readonly rule: Violation['rule'];
  /** "path/XBTUSD_60.csv:12". */
  readonly where: string;
  constructor(readonly violation: Violation) {
    super(`${violation.where}: [${violation.rule}] ${violation.message}`);
    this.rule = violation.rule;
    this.where = violation.where;
  }
}

/**
 * The series a caller asked for in a book config (data.source.paths: the symbol, data.timeframe_s)
 * that the file's name contradicts (series.ts words it for the command line: "--symbol X does not
 * match ..."): bad data, exit 65 with rule `symbol`, not a usage error. Other errors pass unchanged.
 */
export function asSeriesViolation(file: string, e: unknown): unknown {
  if (!(e instanceof IngestInputError) || !/^--(symbol|interval) /.test(e.message)) return e;
  return new GateViolationError({ rule: 'symbol', where: file, message: e.message.replace(/^--symbol /, 'symbol ').replace(/^--interval /, 'interval ') });
}
