/**
 * Re-execute: feed a book's recorded inputs through the CURRENT kernel and compare every event it
 * produces with the stored one. Where rebuild (verify.ts) proves the log is intact and folds to
 * the snapshots, re-execute proves today's code still makes the same decisions from the same
 * inputs: after a change to a skill, a risk rule or the fill model, it names the first event that
 * changes — seq, type, field path, stored vs recomputed value — and stops there.
 *
 * One streaming pass (bounded memory: one read batch plus one step): EventStore.verify checks
 * every link and hash on the way; the events are cut into the runtime's steps (steps.ts); each
 * step's command is rebuilt from its inputs, decided from the state before it (in place), and
 * compared event by event: equal events mean the state is the stored step's fold. Steps outside a `check` range are only
 * folded (replay window / hour start from where they need to be).
 */
import { toHex, type Hash } from '../core/canonical/hash.js';
import { firstDifference } from '../core/canonical/diff.js';
import { canonicalJson, type CanonicalValue } from '../core/canonical/index.js';
import { encodeEvent, type BookKernel, type BookState, type RuntimeCommand } from '../core/book/index.js';
import type { NewEvent, StoredEvent } from '../core/events/index.js';
import type { EventStore } from '../store/event-store.js';
import type { ReplayInputs } from './inputs.js';
import { commandOf, hourOf, startsStep, STEP_EVENTS_MAX, StepInputError } from './steps.js';
import { evolveOrExplain, ReplayKernelError } from './verify.js';

export const VALUE_CHARS_MAX = 300;

/** The first event the current kernel does not reproduce. */
export class ReplayDivergence extends Error {
  override readonly name = 'ReplayDivergence';
  readonly exitCode = 65;
  readonly kind = 'divergence';
  constructor(
    readonly stream: string,
    readonly seq: number,
    /** The stored event's type (or the recomputed one's when the stored step ended first). */
    readonly type: string,
    /** Field path of the first difference: "type", "time_ms", "payload.qty", "(event)" for a missing or extra event, "(input)" or "(decide)". */
    readonly path: string,
    readonly stored: string,
    readonly recomputed: string,
  ) {
    super(
      path.startsWith('(')
        ? `${stream} seq ${seq} (${type}) ${path === '(event)' ? 'is not reproduced' : path === '(input)' ? 'cannot be re-executed' : 'is refused'}: stored ${stored}; recomputed ${recomputed}`
        : `${stream} seq ${seq} (${type}) differs at ${path}: stored ${stored}, recomputed ${recomputed}`,
    );
  }
}

export interface ReexecutedStep {
  readonly seq_from: number;
  readonly seq_to: number;
  readonly events: readonly StoredEvent[];
  /** The rebuilt input; null when the step was only folded (outside `check`). */
  readonly command: RuntimeCommand | null;
  /** The live state after the step: read it in onStep, never keep it (the next step changes it in place). */
  readonly state: BookState;
  readonly hour_ms: number | null;
}

export interface ReexecuteOptions {
  /** Start after a verified point (a snapshot: its seq, head hash and decoded state) instead of genesis. */
  from?: { seq: number; hash: Hash; state: BookState };
  /** Re-execute the steps whose evaluation hour passes; the others are folded only. Default: every step. */
  check?: (hour_ms: number | null) => boolean;
  /** false: rebuild each checked step's command (its input) but do not decide and compare (a manifest of what is stored). */
  decide?: boolean;
  /** Each step once done; return 'stop' to end the pass there. */
  onStep?: (step: ReexecutedStep) => void | 'stop' | Promise<void | 'stop'>;
  onProgress?: (events: number) => void;
  batchSize?: number;
  /**
   * Stop at this seq (a step boundary: the head read before the pass). A live runtime keeps
   * appending; without a bound the pass would race its commits (and compare with a rebuild that
   * stopped earlier).
   */
  toSeq?: number;
}

export interface ReexecuteResult {
  stream: string;
  steps: number;
  steps_checked: number;
  events: number;
  head_seq: number;
  chain_head: string;
  state_hash: string;
  /** True when onStep stopped the pass before the end of the log. */
  stopped: boolean;
}

export function show(v: CanonicalValue | undefined): string {
  if (v === undefined) return '(absent)';
  const s = canonicalJson(v);
  return s.length > VALUE_CHARS_MAX ? `${s.slice(0, VALUE_CHARS_MAX)}... (${s.length} chars)` : s;
}

const brief = (e: NewEvent): string => show({ type: e.type, time_ms: e.time_ms, payload: e.payload });

/** Compares a step's stored events with the recomputed ones; throws at the first difference. */
export function compareStep(stream: string, stored: readonly StoredEvent[], produced: readonly NewEvent[]): void {
  const n = Math.max(stored.length, produced.length);
  for (let i = 0; i < n; i++) {
    const s = stored[i];
    const p = produced[i];
    if (s === undefined) {
      throw new ReplayDivergence(stream, stored[stored.length - 1]!.seq + 1, p!.type, '(event)', 'nothing (the stored step ends here)', brief(p!));
    }
    if (p === undefined) throw new ReplayDivergence(stream, s.seq, s.type, '(event)', brief(s), 'nothing (the recomputed step ends here)');
    if (s.type !== p.type) throw new ReplayDivergence(stream, s.seq, s.type, 'type', show(s.type), show(p.type));
    if (s.time_ms !== p.time_ms) throw new ReplayDivergence(stream, s.seq, s.type, 'time_ms', show(s.time_ms), show(p.time_ms));
    const d = firstDifference(s.payload, p.payload, 'payload');
    if (d) throw new ReplayDivergence(stream, s.seq, s.type, d.path, show(d.left), show(d.right));
  }
}

class Stop extends Error {}

export async function reexecute(
  store: EventStore,
  stream: string,
  kernel: BookKernel,
  kernelName: string,
  inputs: ReplayInputs,
  opts: ReexecuteOptions = {},
): Promise<ReexecuteResult> {
  const state = opts.from ? opts.from.state : kernel.decider.initialState();
  let pending: StoredEvent[] = [];
  let steps = 0;
  let checked = 0;
  let stopped = false;
  let headSeq = opts.from?.seq ?? 0;
  let headHash = opts.from ? toHex(opts.from.hash) : toHex(new Uint8Array(32));

  const fold = (e: StoredEvent): void => void evolveOrExplain({ name: kernelName, kernel }, stream, state, e);
  const configHash = kernel.book?.config_hash ?? null;

  // Decides the step's rebuilt command IN PLACE on the state (the hot path: no copy of the book per
  // step); when every produced event equals the stored one, the state is exactly the fold of the
  // stored step. Steps outside `check` are folded from the stored events.
  const runStep = async (step: StoredEvent[]) => {
    const hour = hourOf(kernel, state, step);
    const started = step.find((e) => e.type === 'book.started');
    if (started !== undefined && configHash !== null) {
      const recorded = (started.payload as { config_hash?: unknown }).config_hash;
      if (recorded !== configHash) throw new ReplayKernelError(stream, started.seq, `${stream} was started with config ${String(recorded)}, but the replaying book config is ${configHash}`);
    }
    let command: RuntimeCommand | null = null;
    if (opts.check === undefined || opts.check(hour)) {
      try {
        command = await commandOf(step, state, kernel, inputs);
      } catch (e) {
        if (e instanceof StepInputError) throw new ReplayDivergence(stream, e.seq, step[0]!.type, '(input)', 'a step of the runtime', e.message);
        throw e;
      }
    }
    if (command !== null && opts.decide !== false) {
      let produced: NewEvent[];
      try {
        produced = kernel.decider.step(command, state).map(encodeEvent);
      } catch (e) {
        throw new ReplayDivergence(stream, step[0]!.seq, step[0]!.type, '(decide)', brief(step[0]!), `the kernel refused the command: ${(e as Error).message}`);
      }
      compareStep(stream, step, produced);
      checked++;
    } else {
      for (const e of step) fold(e);
    }
    steps++;
    const last = step[step.length - 1]!;
    headSeq = last.seq;
    headHash = toHex(last.hash);
    const r = await opts.onStep?.({ seq_from: step[0]!.seq, seq_to: last.seq, events: step, command, state, hour_ms: hour });
    if (r === 'stop') {
      stopped = true;
      throw new Stop();
    }
  };

  try {
    await store.verify(stream, opts.onProgress, opts.batchSize ?? 2000, undefined, {
      from: opts.from ? { seq: opts.from.seq, hash: opts.from.hash } : undefined,
      toSeq: opts.toSeq,
      onBatch: async (batch) => {
        for (const e of batch) {
          if (startsStep(e) && pending.length > 0) {
            const step = pending;
            pending = [];
            await runStep(step);
          }
          pending.push(e);
          if (pending.length > STEP_EVENTS_MAX) throw new ReplayDivergence(stream, e.seq, e.type, '(event)', `a step of more than ${STEP_EVENTS_MAX} events`, 'steps of at most that');
        }
      },
    });
    if (pending.length > 0) await runStep(pending);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  return {
    stream, steps, steps_checked: checked, events: headSeq - (opts.from?.seq ?? 0), head_seq: headSeq, chain_head: headHash,
    state_hash: kernel.stateHash(state), stopped,
  };
}
