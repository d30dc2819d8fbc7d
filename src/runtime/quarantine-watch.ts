/**
 * A quarantine recorded while books run (e.g. `warden replay verify` beside the runtime on
 * PostgreSQL) stops the quarantined book at once: no further write into a book found broken, not
 * even runtime.stopped. Cheap: one head read of audit:quarantine per interval; the running books'
 * quarantine status is read only when that head moved. Shared by one book (main.ts: the process
 * exits 65) and several (./book-set.ts: that book stops alone).
 */
import type { EventStore } from '../store/event-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { BookSupervisor } from './book-supervisor.js';

/** How often running books check whether they were quarantined meanwhile. */
export const QUARANTINE_WATCH_INTERVAL_MS = 1_000;

export async function startQuarantineWatch(
  store: EventStore, running: () => BookSupervisor[], onQuarantined: (book: BookSupervisor, reason: string) => void, log: Logger,
): Promise<() => void> {
  const { AUDIT_STREAM } = await import('../replay/quarantine.js');
  let seen = (await store.head(AUDIT_STREAM).catch(() => null))?.seq ?? 0;
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void (async () => {
      const head = (await store.head(AUDIT_STREAM))?.seq ?? 0;
      if (head === seen) return;
      seen = head;
      for (const book of running()) {
        const reason = await book.quarantinedNow();
        if (reason !== null && book.state === 'running') onQuarantined(book, reason);
      }
    })().catch((e: unknown) => log.warn({ event: 'quarantine_watch_failed', reason: (e as Error).message })).finally(() => (checking = false));
  }, QUARANTINE_WATCH_INTERVAL_MS);
  return () => clearInterval(timer);
}
