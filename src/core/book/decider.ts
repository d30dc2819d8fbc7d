/**
 * The minimal pure Book decider: opens a book, records runtime starts and stops, and applies the
 * operator commands book.pause / book.resume that arrive through the inbox. Every inbox command
 * is answered by exactly one event (applied or rejected with a reason), so the book's
 * last_inbox_id always advances and a command is never applied twice.
 *
 * Pure: time arrives inside the command (the runtime reads its clock and records it as input;
 * operator events use the inbox receipt time). A throw from decide means the runtime sent an
 * impossible command (a bug); nothing is written then.
 */
import type { CanonicalValue } from '../canonical/index.js';
import type { Decider } from '../decider/index.js';
import type { NewEvent } from '../events/index.js';
import type { Candle } from '../market/candle.js';
import { REASON_CHARS_MAX } from './limits.js';
import { BOOK_ID_RE, INITIAL_BOOK_STATE, type BookState, type BookStatus, type ExecutionPlane } from './state.js';

/** Operator commands the book understands (the inbox `command` column). */
export const OPERATOR_COMMANDS = ['book.pause', 'book.resume'] as const;
export type OperatorCommandName = (typeof OPERATOR_COMMANDS)[number];
export { REASON_CHARS_MAX };

/** Commands every book decider must accept from the runtime (the trading kernel adds its own). */
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
  /** The candles that closed at time_ms (at most one per symbol); only kernels with a market feed take it. */
  | { readonly kind: 'market.tick'; readonly time_ms: number; readonly candles: readonly Candle[] };

export type BookEventType =
  | 'book.opened'
  | 'runtime.started'
  | 'runtime.stopped'
  | 'operator.command_applied'
  | 'operator.command_rejected';

export class BookCommandError extends Error {
  override readonly name = 'BookCommandError';
}

const ev = (type: BookEventType, time_ms: number, payload: { [k: string]: CanonicalValue }): NewEvent => ({ type, time_ms, payload });

/** The operator payload's reason: '' for null, or why the payload is refused. */
export function reasonOf(payload: CanonicalValue): string | { rejected: string } {
  if (payload === null) return '';
  if (typeof payload !== 'object' || Array.isArray(payload)) return { rejected: 'payload must be an object like {"reason": "..."}' };
  const extra = Object.keys(payload).filter((k) => k !== 'reason');
  if (extra.length > 0) return { rejected: `unknown payload field(s) ${extra.sort().join(', ')} (expected only "reason")` };
  const reason = (payload as { reason?: CanonicalValue }).reason ?? '';
  if (typeof reason !== 'string') return { rejected: 'reason must be a string' };
  if (reason.length > REASON_CHARS_MAX) return { rejected: `reason is ${reason.length} characters (max ${REASON_CHARS_MAX})` };
  return reason;
}

function decideOperator(c: Extract<RuntimeCommand, { kind: 'operator.command' }>, s: BookState): NewEvent[] {
  if (c.inbox_id <= s.last_inbox_id) return []; // already answered: idempotent
  const base = { inbox_id: c.inbox_id, command: c.command, issued_by: c.issued_by };
  const reject = (why: string) => [ev('operator.command_rejected', c.time_ms, { ...base, why })];
  if (!(OPERATOR_COMMANDS as readonly string[]).includes(c.command)) return reject(`unknown command (known: ${OPERATOR_COMMANDS.join(', ')})`);
  const reason = reasonOf(c.payload);
  if (typeof reason !== 'string') return reject(reason.rejected);
  if (s.status === 'UNOPENED') return reject('the book is not opened');
  const target: BookStatus = c.command === 'book.pause' ? 'PAUSED' : 'ACTIVE';
  if (s.status === target) return reject(`the book is already ${target}`);
  return [ev('operator.command_applied', c.time_ms, { ...base, reason, status_before: s.status, status_after: target })];
}

export function decideBook(c: RuntimeCommand, s: BookState): readonly NewEvent[] {
  switch (c.kind) {
    case 'runtime.start': {
      if (!BOOK_ID_RE.test(c.book_id)) throw new BookCommandError(`book id ${JSON.stringify(c.book_id)} must match ${BOOK_ID_RE}`);
      const out: NewEvent[] = [];
      if (s.book_id === null) out.push(ev('book.opened', c.time_ms, { book_id: c.book_id, execution_plane: c.execution_plane }));
      else if (s.book_id !== c.book_id) throw new BookCommandError(`this stream holds book ${s.book_id}, not ${c.book_id}`);
      else if (s.execution_plane !== c.execution_plane) throw new BookCommandError(`book ${s.book_id} runs on ${s.execution_plane}, not ${c.execution_plane}`);
      out.push(ev('runtime.started', c.time_ms, { owner: c.owner, lease_epoch: c.lease_epoch, execution_plane: c.execution_plane, after_crash: s.running }));
      return out;
    }
    case 'runtime.stop':
      if (!s.running) throw new BookCommandError('runtime.stop without a runtime.started');
      return [ev('runtime.stopped', c.time_ms, { reason: c.reason })];
    case 'operator.command':
      return decideOperator(c, s);
    case 'market.tick':
      throw new BookCommandError('the minimal book takes no market ticks (run a trading book: WARDEN_BOOK_CONFIG)');
  }
}

function str(p: CanonicalValue, key: string): string {
  const v = (p as { [k: string]: CanonicalValue })[key];
  if (typeof v !== 'string') throw new BookCommandError(`event payload.${key}: expected a string`);
  return v;
}

function num(p: CanonicalValue, key: string): number {
  const v = (p as { [k: string]: CanonicalValue })[key];
  if (typeof v !== 'number') throw new BookCommandError(`event payload.${key}: expected a number`);
  return v;
}

/** Applies one stored event. Unknown event types are an error: a fold never skips history. */
export function evolveBook(s: BookState, e: NewEvent): BookState {
  const counts = { ...s.counts, events: s.counts.events + 1 };
  switch (e.type as BookEventType) {
    case 'book.opened':
      return { ...s, counts, book_id: str(e.payload, 'book_id'), execution_plane: str(e.payload, 'execution_plane') as ExecutionPlane, status: 'ACTIVE' };
    case 'runtime.started':
      return { ...s, counts: { ...counts, starts: counts.starts + 1 }, running: true };
    case 'runtime.stopped':
      return { ...s, counts: { ...counts, stops: counts.stops + 1 }, running: false };
    case 'operator.command_applied':
      return {
        ...s,
        counts: { ...counts, commands_applied: counts.commands_applied + 1 },
        last_inbox_id: num(e.payload, 'inbox_id'),
        status: str(e.payload, 'status_after') as BookStatus,
      };
    case 'operator.command_rejected':
      return { ...s, counts: { ...counts, commands_rejected: counts.commands_rejected + 1 }, last_inbox_id: num(e.payload, 'inbox_id') };
    default:
      throw new BookCommandError(`the book decider does not know event type ${JSON.stringify(e.type)}`);
  }
}

export const bookDecider: Decider<RuntimeCommand, BookState> = {
  decide: decideBook,
  evolve: evolveBook,
  initialState: () => INITIAL_BOOK_STATE,
};
