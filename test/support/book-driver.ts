/**
 * Test helper (not a test): writes a book stream the way the paper runtime does — one command, one
 * append, state evolved from the stored events, snapshots every N events — but in-process and in
 * a fixed order, so a test knows exactly which commands made the log. Operator commands go through
 * the real append-only inbox first (the runtime's input), and the command carries the inbox row's
 * id and receipt time exactly as BookRunner builds it.
 */
import { encodeEvent, ticksOf, type BookKernel, type BookState, type ResolvedBook, type RuntimeCommand } from '../../src/core/book/index.js';
import type { CanonicalValue } from '../../src/core/canonical/index.js';
import type { NewEvent } from '../../src/core/events/index.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { Candle } from '../../src/core/market/candle.js';

export type Script =
  | RuntimeCommand
  | { readonly kind: 'inbox'; readonly command: string; readonly payload: CanonicalValue; readonly issued_by?: string };

export interface Written {
  state: BookState;
  seq: number;
  /** The commands as applied, in order (inbox entries resolved to operator.command). */
  commands: RuntimeCommand[];
  /** Every stored event's {type, time_ms, payload}, in seq order (seq = index + 1). */
  events: NewEvent[];
}

/**
 * `receivedAt(n)`, when given, is the receipt time of the n-th inbox command (1-based), set on its
 * row as a superuser (triggers off for that one update): two stores then hold the same inputs, so
 * the same script writes the same stream on both (the cross-engine test). Without it the
 * database's clock stamps the row, as for the runtime.
 */
export async function writeBook(
  store: EventStore, stream: string, kernel: BookKernel, script: readonly Script[], snapshotEvery = 0, receivedAt?: (n: number) => string,
): Promise<Written> {
  const lease = await store.acquireLease(stream, 'test:book-driver', 600_000);
  const state = kernel.decider.initialState();
  let seq = (await store.head(stream))?.seq ?? 0;
  let lastSnapshot = seq;
  const commands: RuntimeCommand[] = [];
  const events: NewEvent[] = [];
  let inboxed = 0;
  try {
    for (const s of script) {
      let c: RuntimeCommand;
      if (s.kind === 'inbox') {
        const id = await store.inboxAppend(stream, s.command, s.payload, s.issued_by ?? 'test');
        if (receivedAt !== undefined) {
          const at = receivedAt(++inboxed);
          await store.db.transaction(async (tx) => {
            await tx.exec('SET LOCAL session_replication_role = replica');
            await tx.query('UPDATE inbox SET received_at = $2 WHERE id = $1', [id, at]);
          });
        }
        const [row] = await store.inboxRead(stream, id - 1, 1);
        c = { kind: 'operator.command', time_ms: Date.parse(row!.received_at), inbox_id: row!.id, command: row!.command, payload: row!.payload, issued_by: row!.issued_by };
      } else c = s;
      commands.push(c);
      const produced = kernel.decider.step(c, state).map(encodeEvent); // in place, as the runtime's step loop
      if (produced.length === 0) continue;
      const stored = await store.append(lease, seq, produced);
      for (const e of stored) events.push({ type: e.type, time_ms: e.time_ms, payload: e.payload });
      seq = stored[stored.length - 1]!.seq;
      if (snapshotEvery > 0 && seq - lastSnapshot >= snapshotEvery) {
        await store.saveSnapshot(lease, seq, kernel.codec.encode(state), `periodic:${kernel.codec.name}`);
        lastSnapshot = seq;
      }
    }
  } finally {
    await store.releaseLease(lease);
  }
  return { state, seq, commands, events };
}

/** The events `kernel` produces for `commands` from its initial state (in memory, nothing stored). */
export function produce(kernel: BookKernel, commands: readonly RuntimeCommand[]): NewEvent[] {
  const state = kernel.decider.initialState();
  const out: NewEvent[] = [];
  for (const c of commands) for (const e of kernel.decider.step(c, state)) out.push(encodeEvent(e));
  return out;
}

/** The book the replay tests trade: sma-cross 10/30 on BTC/USD hourly, from the store, 25 % of equity. */
export function smaBookConfig(book_id: string) {
  return {
    book_id, data: { symbols: ['BTC/USD'], timeframe_s: 3600, source: { kind: 'store' as const } },
    skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30 } }],
    sizing: { mode: 'pct_equity' as const, pct: '25' }, initial_cash: '10000',
  };
}

/** runtime.start as the runtime issues it (owner test:1). */
export const runtimeStart = (book_id: string, time_ms: number, lease_epoch: number): RuntimeCommand =>
  ({ kind: 'runtime.start', time_ms, book_id, execution_plane: 'PAPER', owner: 'test:1', lease_epoch });

export type TickCommand = Extract<RuntimeCommand, { kind: 'market.tick' }>;

/** The market.tick commands the runtime's market loop would feed for these candles. */
export function tickCommands(book: ResolvedBook, candles: readonly Candle[]): TickCommand[] {
  return ticksOf(book.symbols, book.interval_s, candles).map((t): TickCommand => ({ kind: 'market.tick', time_ms: t.time_ms, candles: t.candles }));
}
