/**
 * `warden serve`: the read-only HTTP API, /metrics and the dashboard over the configured store
 * (src/api). On PostgreSQL it runs beside any number of runtimes; on PGlite the data directory is
 * one process's, so it serves only when no runtime holds it (a running runtime serves the same
 * API itself when WARDEN_API_PORT is set). Loopback only unless --allow-remote. Stops on
 * SIGINT/SIGTERM (exit 0).
 */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT, type GlobalOptions } from '../context.js';

export const SERVE_PORT_DEFAULT = 8788;

interface ServeOptions {
  port: string;
  host: string;
  allowRemote?: boolean;
  lateAfterS?: string;
  staleAfterS?: string;
}

function intOption(name: string, v: string | undefined, min: number, max: number): number | null {
  if (v === undefined) return null;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) throw new CliError(`${name} ${JSON.stringify(v)}: expected an integer ${min}..${max}`, EXIT.usage);
  return Number(v);
}

/** The built dashboard beside the compiled CLI: dist/web. */
export const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

export function registerServe(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('serve the read-only API, /metrics and the dashboard (GET/HEAD only; loopback unless --allow-remote)')
    .option('--port <n>', 'TCP port (0 = a free port, printed)', String(SERVE_PORT_DEFAULT))
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--allow-remote', 'allow a non-loopback --host (the API shows every book: put authentication in front)')
    .option('--late-after-s <n>', 'a series is LATE once its next candle is this many seconds overdue (default: a tenth of its interval)')
    .option('--stale-after-s <n>', 'a series is STALE once its next candle is this many seconds overdue (default: one interval)')
    .action(async (opts: ServeOptions) => {
      const port = intOption('--port', opts.port, 0, 65535)!;
      const late = intOption('--late-after-s', opts.lateAfterS, 1, 31_536_000);
      const stale = intOption('--stale-after-s', opts.staleAfterS, 1, 31_536_000);
      const { loadConfig, STORE_VARS } = await import('../../runtime/config/index.js');
      const { createLogger } = await import('../../telemetry/logger.js');
      const config = loadConfig(globals().envFile, process.env, STORE_VARS);
      const log = createLogger(config.WARDEN_LOG_LEVEL, 2, { command: 'serve' });
      const { isLoopback, startApi } = await import('../../api/server.js');
      if (!isLoopback(opts.host) && !opts.allowRemote) {
        throw new CliError(`refusing to serve on ${opts.host}: not a loopback address. The API shows every book's log; pass --allow-remote to bind it anyway`, EXIT.usage);
      }
      const { openDb } = await import('../../store/open.js');
      const db = await openDb(config.WARDEN_DATABASE_URL, { command: `warden serve (${hostname()}:${process.pid})`, create: false });
      try {
        const { verifySchema } = await import('../../store/migrations.js');
        await verifySchema(db);
        const server = await startApi({ db, host: opts.host, port, allowRemote: opts.allowRemote, webDir: WEB_DIR, staleness: { late_after_s: late, stale_after_s: stale }, log });
        const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${server.port}/`;
        log.info({ event: 'api_listening', url, store: db.description, engine: db.engine });
        process.stdout.write(`serving ${db.description} read-only on ${url} (dashboard), ${url}api/books, ${url}metrics; Ctrl-C stops\n`);
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        log.info({ event: 'api_stopping', signal });
        await server.close();
      } finally {
        await db.close();
      }
    });
}
