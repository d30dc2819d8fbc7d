/** A pino logger whose lines a test can read back as objects (feed_retry, feed_batch...). */
import pino, { type Logger } from 'pino';

export function captureLogger(): { log: Logger; lines: Array<Record<string, unknown>>; events: (name: string) => Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug', base: { app: 'warden' } }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines, events: (name) => lines.filter((l) => l.event === name) };
}
