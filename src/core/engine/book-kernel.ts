/**
 * The trading engine as a BookKernel: what the paper runtime runs when WARDEN_BOOK_CONFIG names a
 * book config. Pure. One state = the minimal book part (opened, running, status, last inbox id:
 * the runtime's bookkeeping) + the engine state; the stream holds both kinds of events, and each
 * event folds into the part that owns its type.
 *
 * Commands:
 *   runtime.start / runtime.stop -> the minimal book decider (book.opened, runtime.started/stopped).
 *   market.tick {time_ms, candles} -> the engine's bar_closed. The first tick starts the engine at
 *     (first tick - one interval), exactly as runBacktest does, so a runtime that processed the same
 *     ticks has the same fills and the same engine state hash as the in-memory backtest.
 *   operator.command book.pause | book.resume | book.flatten -> answered by one
 *     operator.command_applied|rejected event, then the engine's own events. The engine's clock is
 *     market time: operator effects are applied at the last processed tick's time (the receipt time
 *     is kept on the applied/rejected event). A pause before the first tick is carried into the
 *     engine when it starts.
 */
import type { CanonicalValue } from '../canonical/index.js';
import type { NewEvent } from '../events/index.js';
import {
  bookStateCodec, BookCommandError, decideBook, evolveBook, INITIAL_BOOK_STATE, reasonOf, REASON_CHARS_MAX,
  type BookKernel, type BookState, type RuntimeCommand, type StateCodec,
} from '../book/index.js';
import type { ResolvedBook } from './config.js';
import { engineStateCodec } from './codec.js';
import { engineDecider } from './decider.js';
import { ENGINE_EVENT_TYPES, type EngineCommand, type EngineEvent } from './events.js';
import { evolveEngine, initialEngineState, type EngineState } from './state.js';

export const TRADING_OPERATOR_COMMANDS = ['book.pause', 'book.resume', 'book.flatten'] as const;
export const TRADING_STATE_VERSION = 1;

export interface TradingBookState {
  readonly book: BookState;
  readonly engine: EngineState;
}

const ENGINE_TYPES: ReadonlySet<string> = new Set(ENGINE_EVENT_TYPES);

export class TradingStateError extends Error {
  override readonly name = 'TradingStateError';
}

export const tradingStateCodec: StateCodec<TradingBookState> = {
  name: `trading.v${TRADING_STATE_VERSION}`,
  encode: (s) => ({ v: TRADING_STATE_VERSION, book: bookStateCodec.encode(s.book), engine: engineStateCodec.encode(s.engine) }),
  decode(value) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TradingStateError('trading state: expected an object');
    const v = value as { readonly [k: string]: CanonicalValue };
    if (v.v !== TRADING_STATE_VERSION) throw new TradingStateError(`trading state: version ${JSON.stringify(v.v)} is not ${TRADING_STATE_VERSION}`);
    const keys = Object.keys(v).sort().join(',');
    if (keys !== 'book,engine,v') throw new TradingStateError(`trading state: unexpected fields ${keys} (expected book, engine, v)`);
    return { book: bookStateCodec.decode(v.book as CanonicalValue), engine: engineStateCodec.decode(v.engine as CanonicalValue) };
  },
};

export function evolveTrading(s: TradingBookState, e: NewEvent): TradingBookState {
  if (ENGINE_TYPES.has(e.type)) return { book: s.book, engine: evolveEngine(s.engine, e as EngineEvent) };
  return { book: evolveBook(s.book, e), engine: s.engine };
}

/** Parses a flatten payload: {reason?, symbols?: [..]} with symbols the book trades. */
function flattenArgs(payload: CanonicalValue, book: ResolvedBook): { reason: string; symbols: string[] | null } | { rejected: string } {
  if (payload === null) return { reason: '', symbols: null };
  if (typeof payload !== 'object' || Array.isArray(payload)) return { rejected: 'payload must be an object like {"reason": "...", "symbols": ["BTC/USD"]}' };
  const extra = Object.keys(payload).filter((k) => k !== 'reason' && k !== 'symbols');
  if (extra.length > 0) return { rejected: `unknown payload field(s) ${extra.sort().join(', ')} (expected reason, symbols)` };
  const p = payload as { reason?: CanonicalValue; symbols?: CanonicalValue };
  const reason = p.reason ?? '';
  if (typeof reason !== 'string') return { rejected: 'reason must be a string' };
  if (reason.length > REASON_CHARS_MAX) return { rejected: `reason is ${reason.length} characters (max ${REASON_CHARS_MAX})` };
  if (p.symbols === undefined || p.symbols === null) return { reason, symbols: null };
  if (!Array.isArray(p.symbols) || p.symbols.length === 0) return { rejected: 'symbols must be a non-empty array of symbols' };
  const symbols: string[] = [];
  for (const x of p.symbols) {
    if (typeof x !== 'string' || !book.symbols.includes(x)) return { rejected: `symbol ${JSON.stringify(x)} is not traded by this book (${book.symbols.join(', ')})` };
    if (!symbols.includes(x)) symbols.push(x);
  }
  return { reason, symbols: symbols.sort() };
}

export function tradingBookKernel(book: ResolvedBook): BookKernel<TradingBookState> {
  const engine = engineDecider(book);
  const intervalMs = book.interval_s * 1000;

  function decideOperator(c: Extract<RuntimeCommand, { kind: 'operator.command' }>, s: TradingBookState): NewEvent[] {
    if (c.inbox_id <= s.book.last_inbox_id) return []; // already answered: idempotent
    const base = { inbox_id: c.inbox_id, command: c.command, issued_by: c.issued_by };
    const reject = (why: string): NewEvent[] => [{ type: 'operator.command_rejected', time_ms: c.time_ms, payload: { ...base, why } }];
    if (!(TRADING_OPERATOR_COMMANDS as readonly string[]).includes(c.command)) return reject(`unknown command (known: ${TRADING_OPERATOR_COMMANDS.join(', ')})`);
    const at = s.engine.time_ms;
    if (c.command === 'book.flatten') {
      const args = flattenArgs(c.payload, book);
      if ('rejected' in args) return reject(args.rejected);
      if (s.book.status === 'UNOPENED') return reject('the book is not opened');
      if (!s.engine.started) return reject('no market tick processed yet: nothing to flatten');
      const applied: NewEvent = { type: 'operator.command_applied', time_ms: c.time_ms, payload: { ...base, reason: args.reason, status_before: s.book.status, status_after: s.book.status } };
      const r = engine.step({ type: 'flatten', time_ms: at, reason: args.reason, symbols: args.symbols }, s.engine);
      return [applied, ...r.events];
    }
    const answer = [...decideBook(c, s.book)];
    if (answer[0]?.type !== 'operator.command_applied' || !s.engine.started) return answer;
    const reason = reasonOf(c.payload) as string;
    const cmd: EngineCommand = c.command === 'book.pause'
      ? { type: 'pause', time_ms: at, reason }
      : { type: 'resume', time_ms: at, reason, rebase_peak: false };
    return [...answer, ...engine.step(cmd, s.engine).events];
  }

  function decideTick(c: Extract<RuntimeCommand, { kind: 'market.tick' }>, s: TradingBookState): NewEvent[] {
    if (!s.book.running) throw new BookCommandError('market.tick before runtime.start');
    const out: EngineEvent[] = [];
    let e = s.engine;
    const run = (cmd: EngineCommand) => {
      const r = engine.step(cmd, e);
      out.push(...r.events);
      e = r.state;
    };
    if (!e.started) {
      run({ type: 'start', time_ms: c.time_ms - intervalMs });
      if (s.book.status === 'PAUSED') run({ type: 'pause', time_ms: c.time_ms - intervalMs, reason: 'paused before the first tick' });
    }
    run({ type: 'bar_closed', time_ms: c.time_ms, candles: c.candles });
    return out;
  }

  function decide(c: RuntimeCommand, s: TradingBookState): readonly NewEvent[] {
    switch (c.kind) {
      case 'runtime.start':
        if (c.book_id !== book.config.book_id) throw new BookCommandError(`the book config is for book ${book.config.book_id}, not ${c.book_id}`);
        return decideBook(c, s.book);
      case 'runtime.stop':
        return decideBook(c, s.book);
      case 'operator.command':
        return decideOperator(c, s);
      case 'market.tick':
        return decideTick(c, s);
    }
  }

  return {
    decider: { decide, evolve: evolveTrading, initialState: () => ({ book: INITIAL_BOOK_STATE, engine: initialEngineState() }) },
    codec: tradingStateCodec,
    view: (s) => ({ book_id: s.book.book_id, execution_plane: s.book.execution_plane, status: s.book.status, last_inbox_id: s.book.last_inbox_id, running: s.book.running }),
    market: {
      symbols: book.symbols,
      interval_s: book.interval_s,
      config_hash: book.config_hash,
      lastTickMs: (s) => (s.engine.bars > 0 ? s.engine.time_ms : null),
      startedConfigHash: (s) => (s.engine.started ? s.engine.config_hash : null),
    },
  };
}
