/**
 * What a running runtime offers its operators, started once its loops run (main.ts,
 * loops_started) and closed first at shutdown:
 * - inbox wake-up: LISTEN on the inbox channel (EventStore.inboxAppend notifies it in the same
 *   statement as the insert), so a command recorded for this book is applied at once instead of
 *   at the next poll; the poll (every INBOX_POLL_INTERVAL_MS) stays as the fallback, and a lost
 *   LISTEN connection is re-established with a bounded backoff while polling carries on.
 * - on an embedded store in a directory: the operator channel (./operator-channel.ts), through
 *   which the CLI reaches the store this process holds.
 */
import type { Db } from '../store/db.js';
import { INBOX_NOTIFY_CHANNEL, type EventStore } from '../store/event-store.js';
import { parseStoreUrl } from '../store/open.js';
import { PGLITE_MEMORY } from '../store/pglite.js';
import type { Logger } from '../telemetry/logger.js';
import type { OperatorChannel } from './operator-channel.js';

export const LISTEN_RETRY_MS_MIN = 1_000;
export const LISTEN_RETRY_MS_MAX = 30_000;

export interface OperatorSide {
  readonly fields: Record<string, unknown>;
  close(): Promise<void>;
}

/** LISTENs for inbox rows (the payload is the row's stream, routed by `wake` to its book); re-LISTENs after a lost connection. */
async function startWake(db: Db, wake: (stream: string) => void, log: Logger): Promise<{ listening: boolean; stop: () => Promise<void> }> {
  let unlisten: (() => Promise<void>) | null = null;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  let delay = LISTEN_RETRY_MS_MIN;
  const listen = async (): Promise<void> => {
    try {
      unlisten = await db.listen(INBOX_NOTIFY_CHANNEL, (payload) => wake(payload), (e) => {
        log.warn({ event: 'inbox_listen_lost', reason: e.message, retry_ms: delay, note: 'the inbox is still polled' });
        void unlisten?.();
        unlisten = null;
        schedule();
      });
      delay = LISTEN_RETRY_MS_MIN;
    } catch (e) {
      log.warn({ event: 'inbox_listen_failed', reason: (e as Error).message, retry_ms: delay, note: 'the inbox is still polled' });
      schedule();
    }
  };
  const schedule = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      if (!closed) void listen();
    }, delay);
    delay = Math.min(delay * 2, LISTEN_RETRY_MS_MAX);
  };
  await listen();
  return {
    listening: unlisten !== null,
    stop: async () => {
      closed = true;
      clearTimeout(retry);
      await unlisten?.();
    },
  };
}

/**
 * One per process, whatever the number of books: `wake(stream)` gets the stream of every inbox row
 * recorded (the caller wakes that book's runner, if it runs it); the operator channel serves every
 * stream of the store (its routes name the stream). `stream` labels the operator file: the
 * streams this runtime runs, comma-separated.
 */
export async function startOperatorSide(opts: { db: Db; store: EventStore; url: string; stream: string; log: Logger; wake: (stream: string) => void }): Promise<OperatorSide> {
  const wake = await startWake(opts.db, opts.wake, opts.log);
  let channel: OperatorChannel | null = null;
  const parsed = parseStoreUrl(opts.url);
  if (parsed?.engine === 'pglite' && parsed.dir !== PGLITE_MEMORY) {
    const { startOperatorChannel } = await import('./operator-channel.js');
    const { StoreOperator } = await import('../governance/operator.js');
    try {
      channel = await startOperatorChannel({ dir: parsed.dir, stream: opts.stream, port: new StoreOperator(opts.store), log: opts.log });
    } catch (e) {
      await wake.stop();
      throw e;
    }
  }
  return {
    fields: { inbox_wake: wake.listening ? 'listen' : 'poll (listen failed: retrying)', operator_channel: channel === null ? null : { host: '127.0.0.1', port: channel.port, file: channel.file } },
    async close() {
      await channel?.close();
      await wake.stop();
    },
  };
}
