/**
 * The commands a book takes, from the paper runtime and from the backtest alike (both drive the
 * same decider through the same step loop). Time arrives inside the command: the runtime reads
 * its clock (or the inbox receipt time) and records it as input; a market tick's time is the
 * close of its candles.
 */
import type { CanonicalValue } from '../canonical/index.js';
import type { Candle } from '../market/candle.js';
import type { ExecutionPlane } from './events.js';

export type RuntimeCommand =
  | { readonly kind: 'runtime.start'; readonly time_ms: number; readonly book_id: string; readonly execution_plane: ExecutionPlane; readonly owner: string; readonly lease_epoch: number }
  | { readonly kind: 'runtime.stop'; readonly time_ms: number; readonly reason: string }
  | {
      readonly kind: 'operator.command';
      readonly time_ms: number;
      readonly inbox_id: number;
      readonly command: string;
      readonly payload: CanonicalValue;
      readonly issued_by: string;
    }
  /**
   * The candles that closed at time_ms (at most one per symbol). `skipped`: symbols of the book the
   * runtime stopped waiting for (late data, data.lateness_ms): the driver's decision, recorded as
   * input (tick.completed DEGRADED, task data_complete SKIPPED "late:<SYMBOL>"); absent = none.
   */
  | { readonly kind: 'market.tick'; readonly time_ms: number; readonly candles: readonly Candle[]; readonly skipped?: readonly string[] }
  /** A candle that arrived after its tick ran without it (time_ms = its close): recorded as bar.late, never rewriting a tick. */
  | { readonly kind: 'market.late'; readonly time_ms: number; readonly candle: Candle };

export type TickCommand = Extract<RuntimeCommand, { kind: 'market.tick' }>;
export type LateCommand = Extract<RuntimeCommand, { kind: 'market.late' }>;
export type OperatorCommand = Extract<RuntimeCommand, { kind: 'operator.command' }>;

/**
 * Operator commands a book understands (the inbox `command` column). book.pause / resume / flatten
 * act at once (an emergency control never waits for an approval); the directive.* commands are
 * governance acts: propose a directive, approve or reject one that waits; epoch.advance moves the
 * book's truth epoch through its gate (./epochs.ts).
 */
export const OPERATOR_COMMANDS = ['book.pause', 'book.resume', 'book.flatten', 'directive.propose', 'directive.approve', 'directive.reject', 'directive.retry', 'epoch.advance'] as const;
export { REASON_CHARS_MAX } from './limits.js';

/** A command the book cannot take (a bug in the caller, or a log that is not a book's): nothing is written. */
export class BookCommandError extends Error {
  override readonly name = 'BookCommandError';
}
