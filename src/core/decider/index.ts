/**
 * The decider pattern (after Emmett): state = fold(evolve, initialState, events);
 * decide(command, state) -> events. Both are pure and total; the same inputs always give the
 * same events. Errors a command can meet are events (e.g. order_denied with a reason), not throws:
 * a throw from decide means a bug or an impossible command, and nothing is written.
 */
import type { NewEvent } from '../events/envelope.js';

export interface Decider<Command, State, Event extends NewEvent = NewEvent> {
  readonly decide: (command: Command, state: State) => readonly Event[];
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: () => State;
}

export function fold<C, S, E extends NewEvent>(decider: Decider<C, S, E>, events: Iterable<E>, from?: S): S {
  let state = from ?? decider.initialState();
  for (const e of events) state = decider.evolve(state, e);
  return state;
}

/** Decide against the state folded from history; returns the new events and the state after them. */
export function handle<C, S, E extends NewEvent>(decider: Decider<C, S, E>, state: S, command: C): { events: readonly E[]; state: S } {
  const events = decider.decide(command, state);
  return { events, state: fold(decider, events, state) };
}
