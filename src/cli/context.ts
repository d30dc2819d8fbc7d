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
 * command on a `pglite:` path with no store there fails (69) and creates nothing. `brief`: the
 * command runs a few small queries and exits (status, operator commands, an ingest of a few MB:
 * INGEST_BASELINE_BYTES_MAX), so an embedded store is run on V8's baseline WebAssembly code only
 * (see briefWasm).
 */
export async function withStore<T>(opts: GlobalOptions, command: string, fn: (ctx: StoreContext) => Promise<T>, store: { create?: boolean; brief?: boolean } = {}): Promise<T> {
  const { loadConfig, STORE_VARS } = await import('../runtime/config/index.js');
  const { createLogger } = await import('../telemetry/logger.js');
  const config = loadConfig(opts.envFile, process.env, STORE_VARS);
  const log = createLogger(config.WARDEN_LOG_LEVEL, 2, { command });
  const baselineOnly = store.brief === true && config.WARDEN_DATABASE_URL.startsWith('pglite:');
  if (baselineOnly) {
    await briefWasm(true);
    log.debug({ event: 'wasm_baseline_only' }, 'a brief command on the embedded store: WebAssembly on the baseline compiler only');
  }
  const { openDb } = await import('../store/open.js');
  const open = () => openDb(config.WARDEN_DATABASE_URL, { command: `warden ${command} (${hostname()})`, create: store.create === true });
  let db: Db;
  try {
    db = await open();
  } catch (e) {
    // Baseline-only code cannot take a function the baseline compiler refuses (no such case is
    // known on x86-64 with SSE4.1 or on arm64): the module then fails to compile, and the store
    // is opened again with the optimizing tier allowed. Nothing was opened or locked by the failure.
    if (!baselineOnly || !/CompileError/.test(String((e as Error)?.message))) throw e;
    await briefWasm(false);
    log.warn({ event: 'wasm_baseline_refused', error: String((e as Error)?.message).slice(0, 200) }, 'the embedded store did not compile on the baseline compiler alone; opened with the optimizing tier');
    db = await open();
  }
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

/**
 * PGlite is PostgreSQL compiled to WebAssembly. V8 runs it first on its baseline compiler
 * (Liftoff) and recompiles the hot functions with its optimizing one (TurboFan) on background
 * threads; PostgreSQL's start alone makes enough of them hot that a short command spends more
 * CPU recompiling than running. Measured on the 2-core machine (A/B, 3 rounds): `warden data
 * status` on PGlite 1.7-2.1 s wall / 2.4-2.8 s CPU -> 1.0-1.35 s / 1.3-1.5 s CPU. Long or bulk work
 * keeps the optimizing tier (the runtime, an ingest of more than a few MB, replay, backtest --persist, feeds, serve, and init
 * and migrate, which verify every chain or may build an index over a large store): baseline code
 * appends ~15 % and verifies ~25 % slower
 * (bench:store on PGlite). The flag must be set before PGlite compiles its module, i.e. before
 * the store is opened; it changes which machine code runs, never what it computes.
 */
async function briefWasm(on: boolean): Promise<void> {
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString(on ? '--liftoff-only' : '--no-liftoff-only');
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
