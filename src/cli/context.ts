/**
 * What every command shares: global options, config loading, opening the store with a clean
 * close on SIGINT/SIGTERM, and error reporting (a message and a meaningful exit code; the stack
 * only with --debug). Loaded by every start of the CLI (`--version`, `--help` included), so it
 * imports nothing at the top but types: the config schema (zod), the logger (pino) and the store
 * are loaded by withStore when a command opens the store (node built-ins are free).
 */
import { hostname } from 'node:os';
import type { Config } from '../runtime/config/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { Db } from '../store/db.js';

export interface GlobalOptions {
  /** The profile file (--profile, or its former name --env-file). */
  envFile?: string;
  debug?: boolean;
}

import { EXIT } from '../exit-codes.js';

export { EXIT };

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export function writeJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export interface StoreContext {
  db: Db;
  /** Every known variable that is set; the store variables always are. */
  config: Partial<Config> & Pick<Config, 'WARDEN_DATABASE_URL' | 'WARDEN_LOG_LEVEL'>;
  log: Logger;
}

/**
 * Opens the configured store for `fn`, closing it on return, error or SIGINT/SIGTERM. Only the
 * commands that set up a store (init, migrate, quickstart) pass `{ create: true }`: any other
 * command on a `pglite:` path with no store there fails (69) and creates nothing.
 */
export async function withStore<T>(opts: GlobalOptions, command: string, fn: (ctx: StoreContext) => Promise<T>, store: { create?: boolean } = {}): Promise<T> {
  const { loadConfig, STORE_VARS } = await import('../runtime/config/index.js');
  const { createLogger } = await import('../telemetry/logger.js');
  const config = loadConfig(opts.envFile, process.env, STORE_VARS);
  const log = createLogger(config.WARDEN_LOG_LEVEL, 2, { command });
  const { openDb } = await import('../store/open.js');
  const db = await openDb(config.WARDEN_DATABASE_URL, { command: `warden ${command} (${hostname()})`, create: store.create === true });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= db.close());
  const onSignal = (signal: NodeJS.Signals) => {
    log.warn({ event: 'signal_received', signal }, 'closing the store before exit');
    void close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn({ db, config, log });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await close();
  }
}

/** Prints an error the way users should see it and returns the exit code. */
export function reportError(e: unknown, debug: boolean): number {
  const err = e as Error & { exitCode?: number };
  const code = typeof err?.exitCode === 'number' ? err.exitCode : EXIT.internal;
  const known = typeof err?.exitCode === 'number';
  const msg = known ? err.message : `internal error: ${err?.message ?? String(e)}${debug ? '' : ' (run with --debug for the stack)'}`;
  process.stderr.write(`warden: ${msg}\n`);
  if (debug && err?.stack) process.stderr.write(err.stack + '\n');
  return code;
}
