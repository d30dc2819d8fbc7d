/**
 * How an operator command reaches a book's store (src/governance/operator.ts): on an embedded
 * store held by a running runtime, through that runtime's operator channel
 * (src/runtime/operator-client.ts: only with a valid 0600 operator file written by the holder;
 * a stale or forged one is refused, exit 75, saying why); otherwise by opening the store itself
 * (PostgreSQL always; PGlite when nobody holds it). Loaded by a command's action, never at start-up.
 */
import type { GlobalOptions } from './context.js';
import type { OperatorPort } from '../governance/operator.js';
import type { Logger } from '../telemetry/logger.js';

export async function withOperator<T>(opts: GlobalOptions, command: string, fn: (port: OperatorPort, log: Logger) => Promise<T>): Promise<T> {
  const { loadConfig, STORE_VARS } = await import('../runtime/config/index.js');
  const config = loadConfig(opts.envFile, process.env, STORE_VARS);
  const { parseStoreUrl } = await import('../store/open.js');
  const parsed = parseStoreUrl(config.WARDEN_DATABASE_URL);
  if (parsed?.engine === 'pglite' && parsed.dir !== 'memory:') {
    const { findChannel } = await import('../runtime/operator-client.js');
    const channel = findChannel(parsed.dir);
    if (channel !== null) {
      const { createLogger } = await import('../telemetry/logger.js');
      const log = createLogger(config.WARDEN_LOG_LEVEL, 2, { command });
      log.debug({ event: 'operator_channel_used', via: channel.via });
      return fn(channel, log);
    }
  }
  const { withStore } = await import('./context.js');
  return withStore(opts, command, async ({ db, log }) => {
    const { verifySchema } = await import('../store/migrations.js');
    await verifySchema(db);
    const { EventStore } = await import('../store/event-store.js');
    const { StoreOperator } = await import('../governance/operator.js');
    return fn(new StoreOperator(new EventStore(db), db.engine === 'pglite'), log); // PGlite opened here: nobody else runs it
  }, { brief: true });
}
