/**
 * The decider pattern (after Emmett): state = fold(evolve, initialState, events);
 * decide(command, state) -> events. Both are deterministic; the same inputs always give the
 * same events. Errors a command can meet are events (e.g. a policy.evaluated BLOCK with its reason), not
 * throws: a throw from decide means a bug or an impossible command, and nothing is written.
 *
 * Ownership: evolve may apply the event to the state IN PLACE and return it (the book's state
 * does, so a tick costs what it changes). Whoever passes a state to evolve (or fold) gives it up;
 * decide never changes the state it is given.
 */
export interface DeciderEvent {
  readonly type: string;
  readonly time_ms: number;
}

export interface Decider<Command, State, Event extends DeciderEvent = DeciderEvent> {
  readonly decide: (command: Command, state: State) => readonly Event[];
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: () => State;
}

export function fold<C, S, E extends DeciderEvent>(decider: Decider<C, S, E>, events: Iterable<E>, from?: S): S {
  let state = from ?? decider.initialState();
  for (const e of events) state = decider.evolve(state, e);
  return state;
}

/** Decides against `state`, then evolves it (given up) with the new events: { events, state after }. */
export function handle<C, S, E extends DeciderEvent>(decider: Decider<C, S, E>, state: S, command: C): { events: readonly E[]; state: S } {
  const events = decider.decide(command, state);
  return { events, state: fold(decider, events, state) };
}
