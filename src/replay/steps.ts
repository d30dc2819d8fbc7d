/**
 * A book stream, cut back into the steps that wrote it, and each step's input rebuilt.
 *
 * Every step the runtime or the backtest writes (one command, one append) begins with
 * `step.started`, which names its command and its input reference (core/book/events.ts). So the
 * cut is explicit: a step starts at a step.started and nowhere else; a stream whose first event
 * is not one (or a step of more than STEP_EVENTS_MAX events) is not a book's. The command is then
 * rebuilt from the step.started payload, the events it wrote (runtime start/stop facts) and the
 * recorded inputs (inputs.ts): the inbox row it names, the stored candles of the symbols it names
 * closing at its time.
 *
 * The evaluation hour of a step (replay hour / window / manifest) is the book's market clock
 * after it: a tick's own time, else the last tick before it (an operator command belongs to the
 * hour of the tick it was applied after); for a book without a market, the step's own time. Steps
 * before the first tick have no hour (null: "before the first tick").
 */
import type { CanonicalValue } from '../core/canonical/index.js';
import { LATE_REASON_PREFIX, LATE_TASK, type BookKernel, type BookState, type RuntimeCommand } from '../core/book/index.js';
import type { Candle } from '../core/market/candle.js';
import type { StoredEvent } from '../core/events/index.js';
import type { ReplayInputs } from './inputs.js';

export const HOUR_MS = 3_600_000;
/** A step larger than this is not one the runtime writes (APPEND_EVENTS_MAX is 10,000). */
export const STEP_EVENTS_MAX = 10_000;
export const STEP_START = 'step.started';

/** Why a step's command could not be rebuilt: an input is missing or the log is not a runtime's. */
export class StepInputError extends Error {
  override readonly name = 'StepInputError';
  constructor(readonly seq: number, message: string) {
    super(message);
  }
}

/** Does `e` begin a new step? Exactly the step.started events (the first event of a stream must be one). */
export function startsStep(e: StoredEvent): boolean {
  return e.type === STEP_START;
}

const field = (p: CanonicalValue, key: string): CanonicalValue | undefined =>
  typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as { [k: string]: CanonicalValue })[key] : undefined;

function str(e: StoredEvent, key: string): string {
  const v = field(e.payload, key);
  if (typeof v !== 'string') throw new StepInputError(e.seq, `${e.stream} seq ${e.seq} (${e.type}): payload.${key} is not a string, cannot rebuild the step's command`);
  return v;
}

function int(e: StoredEvent, key: string): number {
  const v = field(e.payload, key);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new StepInputError(e.seq, `${e.stream} seq ${e.seq} (${e.type}): payload.${key} is not an integer, cannot rebuild the step's command`);
  return v;
}

/** The step's first event, checked to be its step.started. */
function opening(step: readonly StoredEvent[]): StoredEvent {
  const first = step[0]!;
  if (first.type !== STEP_START) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: a ${first.type} event where a step must begin with ${STEP_START} (not a book stream, or written by an older build)`);
  return first;
}

/** Rebuilds the command of one step from its stored events and the recorded inputs. */
export async function commandOf(step: readonly StoredEvent[], before: BookState, kernel: BookKernel, inputs: ReplayInputs): Promise<RuntimeCommand> {
  const first = opening(step);
  const kind = str(first, 'command');
  const find = (type: string): StoredEvent => {
    const e = step.find((x) => x.type === type);
    if (e === undefined) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: a ${kind} step without ${type}`);
    return e;
  };
  switch (kind) {
    case 'runtime.start': {
      const started = find('runtime.started');
      const opened = step.find((e) => e.type === 'book.opened');
      const book_id = opened !== undefined ? str(opened, 'book_id') : kernel.view(before).book_id;
      if (book_id === null) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: runtime.started before the book was opened`);
      return {
        kind: 'runtime.start', time_ms: first.time_ms, book_id, execution_plane: str(started, 'execution_plane') as 'PAPER' | 'SHADOW',
        owner: str(started, 'owner'), lease_epoch: int(started, 'lease_epoch'),
      };
    }
    case 'runtime.stop':
      return { kind: 'runtime.stop', time_ms: first.time_ms, reason: str(find('runtime.stopped'), 'reason') };
    case 'operator.command': {
      const id = int(first, 'inbox_id');
      const row = await inputs.inboxCommand(first.stream, id);
      if (row === null) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: inbox command ${id} is not in the inbox (the recorded input is missing)`);
      return { kind: 'operator.command', time_ms: Date.parse(row.received_at), inbox_id: row.id, command: row.command, payload: row.payload, issued_by: row.issued_by };
    }
    case 'market.tick': {
      const market = kernel.market;
      if (market === undefined) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: a market tick, but the kernel has no market (the book config is unknown)`);
      const symbols = field(first.payload, 'symbols');
      if (!Array.isArray(symbols) || symbols.some((x) => typeof x !== 'string')) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: step.started of a tick without its symbols`);
      const candles = await inputs.candlesClosingAt(symbols as string[], market.interval_s, first.time_ms);
      if (candles.length !== symbols.length) {
        const have = new Set(candles.map((c) => c.symbol));
        const missing = (symbols as string[]).filter((x) => !have.has(x));
        throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: the tick at ${first.time_ms} recorded ${missing.join(', ')}, but the store has no such candle closing then (the recorded input is missing)`);
      }
      // symbols the runtime skipped as late: its recorded decision, read back from the tick's outcome (never re-decided)
      const skipped: string[] = [];
      const outcome = step.find((e) => e.type === 'tick.completed');
      const tasks = outcome === undefined ? undefined : field(outcome.payload, 'tasks');
      if (Array.isArray(tasks)) {
        for (const t of tasks) {
          const reason = field(t, 'reason');
          if (field(t, 'task') === LATE_TASK && typeof reason === 'string' && reason.startsWith(LATE_REASON_PREFIX)) skipped.push(reason.slice(LATE_REASON_PREFIX.length));
        }
      }
      return skipped.length === 0 ? { kind: 'market.tick', time_ms: first.time_ms, candles } : { kind: 'market.tick', time_ms: first.time_ms, candles, skipped };
    }
    case 'market.late': {
      const market = kernel.market;
      if (market === undefined) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: a late candle, but the kernel has no market (the book config is unknown)`);
      const symbols = field(first.payload, 'symbols');
      if (!Array.isArray(symbols) || symbols.length !== 1 || typeof symbols[0] !== 'string') throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: step.started of a late candle without its one symbol`);
      const [candle] = await inputs.candlesClosingAt(symbols as string[], market.interval_s, first.time_ms);
      if (candle === undefined) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: the late ${String(symbols[0])} candle closing at ${first.time_ms} is not in the store (the recorded input is missing)`);
      return { kind: 'market.late', time_ms: first.time_ms, candle };
    }
    default:
      throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: step.started names an unknown command ${JSON.stringify(kind)}`);
  }
}

/** The start of the UTC hour holding `ms` (floor, also for times before 1970). */
export const hourStart = (ms: number): number => ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS);

/** The step's evaluation hour (start of the UTC hour, ms), from the state before it and the step; null before the first tick. */
export function hourOf(kernel: BookKernel, before: BookState, step: readonly StoredEvent[]): number | null {
  const first = step[0]!;
  if (!kernel.market) return hourStart(first.time_ms);
  const clock = first.type === STEP_START && field(first.payload, 'command') === 'market.tick' ? first.time_ms : kernel.market.lastTickMs(before);
  return clock === null ? null : hourStart(clock);
}

/** A command as canonical JSON (the input hashed into a manifest): candles as decimal text. */
export function commandValue(c: RuntimeCommand): CanonicalValue {
  const candle = (k: Candle): CanonicalValue => ({
    symbol: k.symbol, interval_s: k.interval_s, open_time_ms: k.open_time_ms, open: k.open.toString(), high: k.high.toString(),
    low: k.low.toString(), close: k.close.toString(), volume: k.volume.toString(), vwap: k.vwap === null ? null : k.vwap.toString(), count: k.count,
  });
  if (c.kind === 'market.late') return { kind: c.kind, time_ms: c.time_ms, candle: candle(c.candle) };
  if (c.kind !== 'market.tick') return { ...c } as unknown as CanonicalValue;
  // `skipped` only when the runtime skipped a symbol: a complete tick's input (and its manifest hash) is as before
  return { kind: c.kind, time_ms: c.time_ms, candles: c.candles.map(candle), ...(c.skipped !== undefined && c.skipped.length > 0 ? { skipped: [...c.skipped] } : {}) };
}
