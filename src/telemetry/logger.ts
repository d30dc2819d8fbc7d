/**
 * Structured JSON logs (pino): one event name per line in the `event` field, snake_case,
 * e.g. {"level":"info","event":"migration_applied","version":1,...}. CLI commands log to stderr
 * so stdout stays for results; the runtime logs to stdout (one stream per container).
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, dest: 1 | 2 = 2, base: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level,
      base: { app: 'warden', ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: dest, sync: true }),
  );
}
