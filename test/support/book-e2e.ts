/**
 * Helpers of the runtime end-to-end tests that drive a book over real Kraken hourly candles: a
 * slice of a bundled file in Kraken's own form, the book's events as stored, and a wait on the
 * runtime's log lines that fails naming what it waited for (with the log's tail).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXTERNAL_DATA_DIR } from './market-data.js';
import { WAIT_MS_MAX, type Proc } from '../runtime-proc.js';
import { openDb } from '../../src/store/open.js';
import { EventStore } from '../../src/store/event-store.js';

/** The real Kraken rows of `name` whose candle opens in [from, to), as a file named like Kraken's (the symbol comes from the name). */
export function sliceHourly(dir: string, name: string, from_ms: number, to_ms: number): string {
  const rows = readFileSync(join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_hourly_full', name), 'utf8').split('\n')
    .filter((l) => l.trim() !== '' && Number(l.split(',')[0]) * 1000 >= from_ms && Number(l.split(',')[0]) * 1000 < to_ms);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), `${rows.join('\n')}\n`);
  return join(dir, name);
}

export type Ev = { seq: number; type: string; time_ms: number; payload: Record<string, unknown> };

/** Every event of `stream` in the store at `url` (opened and closed here: the runtime must be stopped on PGlite). */
export async function streamEvents(url: string, stream: string, what: string): Promise<Ev[]> {
  const db = await openDb(url, { command: what });
  try {
    const out: Ev[] = [];
    for await (const batch of new EventStore(db).read(stream)) for (const e of batch) out.push({ seq: e.seq, type: e.type, time_ms: e.time_ms, payload: e.payload as Record<string, unknown> });
    return out;
  } finally {
    await db.close();
  }
}

/** Polls fn until it returns non-null; after WAIT_MS_MAX fails naming `what`, with the runtime's last log lines. */
export async function until<T>(what: string, rt: Proc, fn: () => Promise<T | null> | T | null): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() - t0 > WAIT_MS_MAX) throw new Error(`${what}: timed out; log:\n${rt.lines.slice(-20).map((l) => JSON.stringify(l)).join('\n')}\n${rt.stderr()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
