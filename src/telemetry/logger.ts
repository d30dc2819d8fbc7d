/**
 * Structured JSON logs (pino): one event name per line in the `event` field, snake_case,
 * e.g. {"level":"info","event":"migration_applied","version":1,...}. CLI commands log to stderr
 * so stdout stays for results; the runtime logs to stdout (one stream per container). Context
 * fields ride along: `book` (the runtime's book), `tick_ms` on a tick's lines, `command` for CLI.
 *
 * Human mode: when the destination is a terminal (or `pretty: true`, the runtime's `--pretty`),
 * lines go through pino-pretty (loaded only then); `pretty: false` forces JSON on a terminal.
 * Secrets are never logged: store URLs appear as the store's description, without credentials.
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** true: pino-pretty; false: JSON; undefined: pretty when the destination is a TTY. */
  pretty?: boolean;
}

function prettyStream(fd: 1 | 2): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as (o: Record<string, unknown>) => DestinationStream;
  return pretty({ destination: fd, sync: true, colorize: fd === 1 ? process.stdout.isTTY : process.stderr.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app,event', singleLine: true, messageKey: 'msg', messageFormat: '{event}{if msg} {msg}{end}' });
}

export function createLogger(level: string, dest: 1 | 2 = 2, base: Record<string, unknown> = {}, opts: LoggerOptions = {}): Logger {
  const tty = dest === 1 ? process.stdout.isTTY === true : process.stderr.isTTY === true;
  const pretty = opts.pretty ?? tty;
  return pino(
    {
      level,
      base: { app: 'warden', ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pretty ? prettyStream(dest) : pino.destination({ fd: dest, sync: true }),
  );
}
