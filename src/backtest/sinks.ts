/**
 * Where a backtest's steps go. encodingSink: each event is encoded once (typed payload ->
 * canonical JSON text, exactly what a store would hash) and then dropped or, for tests and tools,
 * collected. The store sink is ./persist.ts.
 */
import { encodeEvent, payloadJson, type BookEvent } from '../core/book/index.js';
import type { NewEvent } from '../core/events/envelope.js';
import type { StepSink } from '../runtime/step-loop.js';

export interface EncodingSink extends StepSink {
  /** Events encoded so far, and their canonical payload bytes (UTF-16 units: ASCII here). */
  readonly counts: { events: number; payload_chars: number };
}

export function encodingSink(collect?: NewEvent[]): EncodingSink {
  const counts = { events: 0, payload_chars: 0 };
  return {
    counts,
    write(events: readonly BookEvent[]) {
      for (const e of events) {
        counts.events++;
        counts.payload_chars += payloadJson(e).length;
        if (collect !== undefined) collect.push(encodeEvent(e));
      }
    },
  };
}
