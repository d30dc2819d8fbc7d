/**
 * Errors of the operator side of governance. Each carries the exit code the CLI reports
 * (src/exit-codes.ts, the README table): a failed check 1, bad input 64, a log whose governance
 * events do not fit the contract 65, the runtime's channel refused or unreachable 75.
 */
import { EXIT } from '../exit-codes.js';

export class GovernanceError extends Error {
  override name = 'GovernanceError';
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** A governance event that does not fit the contract: names the stream, seq, type and field. */
export class DirectiveLogError extends GovernanceError {
  override name = 'DirectiveLogError';
  constructor(readonly stream: string, readonly seq: number, type: string, what: string) {
    super(`${stream} seq ${seq} (${type}): ${what}`, EXIT.data);
  }
}

/** The running runtime's operator channel cannot be used (stale or forged file, refused token, unreachable). */
export class OperatorChannelError extends GovernanceError {
  override name = 'OperatorChannelError';
  constructor(message: string) {
    super(message, EXIT.held);
  }
}
