/**
 * Watches the book streams for appended events by polling the store (no lease, reads only): each
 * round reads the stream heads, and for each head that moved reads the new events of the types
 * the metrics count (bounded per round) and tells the listeners (the SSE clients, the metrics).
 * A stream first seen is taken from its head on (its history is not recounted); its gauges are
 * seeded from its newest mark.
 */
import type { Db } from '../store/db.js';
import { METRIC_EVENT_TYPES, type Metrics } from '../telemetry/metrics.js';
import { PAGE_LIMIT_MAX, TAIL_EVENTS_PER_ROUND_MAX, TAIL_INTERVAL_MS } from './limits.js';
import { bookStreams, latestOfType, typedPage, type EventRow } from './reads.js';

export interface Appended {
  stream: string;
  from_seq: number;
  head_seq: number;
  /** The newest mark among the events read this round, if any. */
  mark: EventRow | null;
}

export type AppendListener = (a: Appended) => void;

export class Tailer {
  private readonly seen = new Map<string, number>();
  private readonly listeners = new Set<AppendListener>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  /** Rounds completed (tests wait on it). */
  rounds = 0;

  constructor(private readonly db: Db, private readonly metrics: Metrics | null, private readonly intervalMs = TAIL_INTERVAL_MS, private readonly onError: (e: unknown) => void = () => undefined) {}

  subscribe(l: AppendListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.round().catch(this.onError).finally(loop), this.intervalMs);
    };
    void this.round().catch(this.onError).finally(loop);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One pass over every book stream. */
  async round(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      for (const s of await bookStreams(this.db)) {
        const known = this.seen.get(s.stream);
        if (known === undefined) {
          this.seen.set(s.stream, s.head_seq);
          const m = await latestOfType(this.db, s.stream, 'mark.recorded');
          if (m && this.metrics) this.metrics.mark(s.stream, m.payload);
          continue;
        }
        if (s.head_seq <= known) continue;
        let after: number | null = known;
        let read = 0;
        let mark: EventRow | null = null;
        while (after !== null && read < TAIL_EVENTS_PER_ROUND_MAX) {
          const page = await typedPage(this.db, s.stream, { types: METRIC_EVENT_TYPES, afterSeq: after, toSeq: s.head_seq, limit: PAGE_LIMIT_MAX, headSeq: s.head_seq });
          this.metrics?.observe(s.stream, page.items);
          for (const e of page.items) if (e.type === 'mark.recorded') mark = e;
          read += page.items.length;
          after = page.next_after_seq;
        }
        const upTo = after ?? s.head_seq;
        this.seen.set(s.stream, upTo);
        for (const l of this.listeners) l({ stream: s.stream, from_seq: known + 1, head_seq: upTo, mark });
      }
    } finally {
      this.running = false;
      this.rounds++;
    }
  }
}
