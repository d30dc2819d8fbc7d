/**
 * The step loop every driver shares (paper runtime, backtest, replay tools): one command -> one
 * step of the book's decider (events built and the state evolved in place) -> the sink (a store
 * append in ONE transaction, or memory). A step is never split: the sink receives all of its
 * events or, failing, the driver stops (crash-only: the state it holds is then discarded; a
 * restart restores from the store).
 */
import type { BookEvent, BookKernel, BookState, RuntimeCommand } from '../core/book/index.js';

export interface StepSink {
  /** Takes one whole step. May be synchronous (memory) or not (a store append). */
  write(events: readonly BookEvent[], command: RuntimeCommand): void | Promise<void>;
}

export class StepLoop {
  constructor(readonly kernel: BookKernel, public state: BookState, private readonly sink: StepSink) {}

  /**
   * Applies one command as one step; returns its events (none: the command changed nothing, e.g.
   * an inbox row already answered). Synchronous when the sink is (memory: no promise per tick),
   * else a promise that settles when the sink has taken the step.
   */
  apply(command: RuntimeCommand): readonly BookEvent[] | Promise<readonly BookEvent[]> {
    const events = this.kernel.decider.step(command, this.state);
    if (events.length === 0) return events;
    const pending = this.sink.write(events, command);
    return pending === undefined ? events : pending.then(() => events);
  }
}
