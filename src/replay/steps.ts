/**
 * A book stream, cut back into the steps that wrote it, and each step's input rebuilt.
 *
 * The paper runtime writes one step per command, in one transaction: runtime.start ->
 * [book.opened,] runtime.started; runtime.stop -> runtime.stopped; an inbox command ->
 * operator.command_applied|rejected [+ the engine's events]; a market tick -> [book.started,
 * book.paused,] bar.closed (one per symbol, all at the tick's close time) + the engine's events.
 * So a step starts exactly at one of those first events, and the cut needs no input: it is read
 * off the stored types (stepStarts). The command is then rebuilt from the step's first events and
 * the recorded inputs (inputs.ts): the candles closing at the tick time, the inbox row.
 *
 * The evaluation hour of a step (replay hour / window / manifest) is the book's clock after it:
 * the last market tick processed (market time: an operator command belongs to the hour of the
 * tick it was applied after), or, for a book without a market, the step's own time. Steps before
 * the first tick have no hour (null: "before the first tick").
 */
import type { CanonicalValue } from '../core/canonical/index.js';
import type { BookKernel, RuntimeCommand } from '../core/book/index.js';
import type { StoredEvent } from '../core/events/index.js';
import type { ReplayInputs } from './inputs.js';

export const HOUR_MS = 3_600_000;
/** A step larger than this is not one the runtime writes (APPEND_EVENTS_MAX is 10,000). */
export const STEP_EVENTS_MAX = 10_000;

const OWN_STEP = new Set(['book.opened', 'runtime.started', 'runtime.stopped', 'operator.command_applied', 'operator.command_rejected']);

/** Why a step's command could not be rebuilt: an input is missing or the log is not a runtime's. */
export class StepInputError extends Error {
  override readonly name = 'StepInputError';
  constructor(readonly seq: number, message: string) {
    super(message);
  }
}

/**
 * Does `e` start a new step, given the events of the step so far? Pure; the cut the runtime made.
 */
export function startsStep(current: readonly StoredEvent[], e: StoredEvent): boolean {
  if (current.length === 0) return true;
  const first = current[0]!;
  if (e.type === 'runtime.started') return !(first.type === 'book.opened' && current.length === 1);
  if (OWN_STEP.has(e.type) || e.type === 'book.started') return true;
  if (e.type !== 'bar.closed') return false;
  // A tick's bar.closed events share its close time; another time is the next tick.
  const tick = current.find((x) => x.type === 'bar.closed');
  if (tick !== undefined) return tick.time_ms !== e.time_ms;
  return first.type !== 'book.started'; // the first tick: book.started [book.paused] bar.closed...
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

/** Rebuilds the command of one step from its stored events and the recorded inputs. */
export async function commandOf<S>(step: readonly StoredEvent[], before: S, kernel: BookKernel<S>, inputs: ReplayInputs): Promise<RuntimeCommand> {
  const first = step[0]!;
  switch (first.type) {
    case 'book.opened':
    case 'runtime.started': {
      const started = step.find((e) => e.type === 'runtime.started');
      if (started === undefined) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: book.opened without runtime.started in its step`);
      const book_id = first.type === 'book.opened' ? str(first, 'book_id') : kernel.view(before).book_id;
      if (book_id === null) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: runtime.started before the book was opened`);
      return {
        kind: 'runtime.start', time_ms: first.time_ms, book_id, execution_plane: str(started, 'execution_plane') as 'PAPER' | 'SHADOW',
        owner: str(started, 'owner'), lease_epoch: int(started, 'lease_epoch'),
      };
    }
    case 'runtime.stopped':
      return { kind: 'runtime.stop', time_ms: first.time_ms, reason: str(first, 'reason') };
    case 'operator.command_applied':
    case 'operator.command_rejected': {
      const id = int(first, 'inbox_id');
      const row = await inputs.inboxCommand(first.stream, id);
      if (row === null) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: inbox command ${id} is not in the inbox (the recorded input is missing)`);
      return { kind: 'operator.command', time_ms: Date.parse(row.received_at), inbox_id: row.id, command: row.command, payload: row.payload, issued_by: row.issued_by };
    }
    default: {
      const bar = step.find((e) => e.type === 'bar.closed');
      if (bar === undefined) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: a ${first.type} event does not start a step the runtime writes (no bar.closed, no runtime or operator event)`);
      const market = kernel.market;
      if (market === undefined) throw new StepInputError(first.seq, `${first.stream} seq ${first.seq}: a market tick, but the kernel has no market feed (fold a trading book with its config)`);
      // A stored candle of a symbol the tick did not record arrived after the tick (a backfill):
      // the runtime feeds tick T only once every symbol has a candle closing at or after T, and
      // then always includes a candle closing at T if one is stored. So it is not an input the
      // book saw, and is left out; a recorded symbol's candle is compared field by field.
      const recorded = new Set(step.filter((e) => e.type === 'bar.closed').map((e) => field(e.payload, 'symbol')));
      const candles = (await inputs.candlesClosingAt(market.symbols, market.interval_s, bar.time_ms)).filter((c) => recorded.has(c.symbol));
      return { kind: 'market.tick', time_ms: bar.time_ms, candles };
    }
  }
}

/** The start of the UTC hour holding `ms` (floor, also for times before 1970). */
export const hourStart = (ms: number): number => ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS);

/** The step's evaluation hour (start of the UTC hour, ms) from the state after it; null before the first tick. */
export function hourOf<S>(kernel: BookKernel<S>, after: S, stepTimeMs: number): number | null {
  const clock = kernel.market ? kernel.market.lastTickMs(after) : stepTimeMs;
  return clock === null ? null : hourStart(clock);
}

/** A command as canonical JSON (the input hashed into a manifest): candles as decimal text. */
export function commandValue(c: RuntimeCommand): CanonicalValue {
  if (c.kind !== 'market.tick') return { ...c } as unknown as CanonicalValue;
  return {
    kind: c.kind, time_ms: c.time_ms,
    candles: c.candles.map((k) => ({
      symbol: k.symbol, interval_s: k.interval_s, open_time_ms: k.open_time_ms, open: k.open.toString(), high: k.high.toString(),
      low: k.low.toString(), close: k.close.toString(), volume: k.volume.toString(), vwap: k.vwap === null ? null : k.vwap.toString(), count: k.count,
    })),
  };
}
