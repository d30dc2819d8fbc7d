/**
 * The trading book as ONE decider: bookDecider(book) -> { decide, evolve, initialState, step }.
 * The paper runtime and the backtest drive it with the same commands through the same step loop.
 * `book` is the resolved config; null runs a book with no market (operator commands only: the
 * runtime without WARDEN_BOOK_CONFIG).
 *
 * step(command, state) is the hot path: it builds the step's events one by one and evolves the
 * state with each as it goes (in place: the caller gives the state up), so every part of the step
 * sees the effects of the parts before it, and the state after the step is exactly the fold of its
 * events. decide(command, state) is step on a copy (the caller's state is untouched). Every step
 * begins with step.started naming its command. A command the book must refuse for a reason an
 * operator can read is answered with an event (operator.command_rejected, a policy.evaluated BLOCK); a
 * throw (BookCommandError) means an impossible command, and nothing is written. Late data and
 * truth epochs ([F7], ./epochs.ts): a tick may carry the symbols the runtime skipped as late; a
 * late candle is its own market.late step (bar.late); epoch.advance moves TE through its gate.
 */
import type { Decider } from '../decider/index.js';
import { planDeposit } from '../ledger/index.js';
import { BookCommandError, OPERATOR_COMMANDS, REASON_CHARS_MAX, type LateCommand, type OperatorCommand, type RuntimeCommand, type TickCommand } from './commands.js';
import type { ResolvedBook } from './config.js';
import type { BookEvent, BookStatus } from './events.js';
import type { StepProbe } from './probe.js';
import { evolve } from './evolve.js';
import { flatten, type StepContext } from './orders.js';
import { approve, propose, reject as reject_, retry } from './govern.js';
import { parseGovernancePayload } from './operator-payloads.js';
import { OPERATOR_NAME_RE } from '../governance/index.js';
import { BOOK_ID_RE, cloneState, initialBookState, type BookState } from './state.js';
import { runTick, tickCandles, tickSkipped, checkInvariants, type SkillSlot } from './tick.js';
import { autoChecks, epochGate, parseEpochAdvance } from './epochs.js';
import { closeTimeMs } from '../market/candle.js';
import { lastCandle } from './state.js';
import type { CanonicalValue } from '../canonical/index.js';

export interface BookDecider extends Decider<RuntimeCommand, BookState, BookEvent> {
  /** Decide and evolve in one pass, IN PLACE: returns the step's events; `state` is then the state after them. */
  readonly step: (command: RuntimeCommand, state: BookState) => BookEvent[];
}

/** The operator payload's reason ('' for null), or why the payload is refused. */
export function reasonOf(payload: CanonicalValue, allowed: readonly string[] = ['reason']): string | { rejected: string } {
  if (payload === null) return '';
  if (typeof payload !== 'object' || Array.isArray(payload)) return { rejected: 'payload must be an object like {"reason": "..."}' };
  const extra = Object.keys(payload).filter((k) => !allowed.includes(k));
  if (extra.length > 0) return { rejected: `unknown payload field(s) ${extra.sort().join(', ')} (expected ${allowed.join(', ')})` };
  const reason = (payload as { reason?: CanonicalValue }).reason ?? '';
  if (typeof reason !== 'string') return { rejected: 'reason must be a string' };
  if (reason.length > REASON_CHARS_MAX) return { rejected: `reason is ${reason.length} characters (max ${REASON_CHARS_MAX})` };
  return reason;
}

/** A flatten payload: {reason?, symbols?: [..]} with symbols the book trades. */
function flattenSymbols(payload: CanonicalValue, book: ResolvedBook): readonly string[] | null | { rejected: string } {
  const p = payload as { symbols?: CanonicalValue } | null;
  if (p === null || p.symbols === undefined || p.symbols === null) return null;
  if (!Array.isArray(p.symbols) || p.symbols.length === 0) return { rejected: 'symbols must be a non-empty array of symbols' };
  const symbols: string[] = [];
  for (const x of p.symbols) {
    if (typeof x !== 'string' || !book.symbols.includes(x)) return { rejected: `symbol ${JSON.stringify(x)} is not traded by this book (${book.symbols.join(', ')})` };
    if (!symbols.includes(x)) symbols.push(x);
  }
  return symbols.sort();
}

/** A tick's StepContext: its events, and emit = keep the event and evolve the state with it, in place. */
class TickStep implements StepContext {
  readonly out: BookEvent[] = [];
  constructor(readonly book: ResolvedBook, readonly s: BookState, readonly time_ms: number, readonly probe: StepProbe | undefined) {}
  emit(e: BookEvent): void {
    this.out.push(e);
    evolve(this.s, e);
  }
}

/** `probe`: the driver's timing seam (./probe.ts); it sees the policy evaluations and executions, it changes nothing. */
export function bookDecider(book: ResolvedBook | null, probe?: StepProbe): BookDecider {
  const slots = new Map<string, SkillSlot>();
  for (const b of book?.skills ?? []) for (const sym of b.symbols) slots.set(sym, { binding: b, memKey: `${b.key}|${sym}`, task: `skill:${b.key}:${sym}` });
  const known = book === null ? OPERATOR_COMMANDS.filter((c) => c === 'book.pause' || c === 'book.resume') : OPERATOR_COMMANDS;
  /** step.started of a tick with a candle for every symbol (payloads are never changed once emitted). */
  const fullTickStarted = Object.freeze({ command: 'market.tick' as const, inbox_id: null, symbols: book?.symbols ?? [] });

  function step(cmd: RuntimeCommand, s: BookState): BookEvent[] {
    if (!Number.isSafeInteger(cmd.time_ms) || cmd.time_ms < 0) throw new BookCommandError(`${cmd.kind}: time_ms must be a non-negative integer, got ${cmd.time_ms}`);
    if (cmd.kind === 'market.tick') return tick(cmd, s);
    if (cmd.kind === 'market.late') return late(cmd, s);
    const out: BookEvent[] = [];
    const emit = (e: BookEvent): void => {
      out.push(e);
      evolve(s, e);
    };
    const begin = (inbox_id: number | null, symbols: readonly string[] | null) => emit({ type: 'step.started', time_ms: cmd.time_ms, payload: { command: cmd.kind, inbox_id, symbols } });
    switch (cmd.kind) {
      case 'runtime.start': {
        if (book !== null && cmd.book_id !== book.config.book_id) throw new BookCommandError(`the book config is for book ${book.config.book_id}, not ${cmd.book_id}`);
        if (!BOOK_ID_RE.test(cmd.book_id)) throw new BookCommandError(`book id ${JSON.stringify(cmd.book_id)} must match ${BOOK_ID_RE}`);
        if (s.book_id !== null && s.book_id !== cmd.book_id) throw new BookCommandError(`this stream holds book ${s.book_id}, not ${cmd.book_id}`);
        if (s.execution_plane !== null && s.execution_plane !== cmd.execution_plane) throw new BookCommandError(`book ${s.book_id} runs on ${s.execution_plane}, not ${cmd.execution_plane}`);
        begin(null, null);
        if (s.book_id === null) emit({ type: 'book.opened', time_ms: cmd.time_ms, payload: { book_id: cmd.book_id, execution_plane: cmd.execution_plane } });
        emit({ type: 'runtime.started', time_ms: cmd.time_ms, payload: { owner: cmd.owner, lease_epoch: cmd.lease_epoch, execution_plane: cmd.execution_plane, after_crash: s.running } });
        return out;
      }
      case 'runtime.stop':
        if (!s.running) throw new BookCommandError('runtime.stop without a runtime.started');
        begin(null, null);
        emit({ type: 'runtime.stopped', time_ms: cmd.time_ms, payload: { reason: cmd.reason } });
        return out;
      case 'operator.command':
        if (cmd.inbox_id <= s.last_inbox_id) return out; // already answered: idempotent, no step
        begin(cmd.inbox_id, null);
        operator(cmd, s, emit);
        return out;
    }
  }

  /** market.tick: the hot path, with one TickStep object as its context instead of per-step closures. */
  function tick(cmd: TickCommand, s: BookState): BookEvent[] {
    if (book === null) throw new BookCommandError('this book has no market (no book config): it takes no market ticks');
    if (!s.running) throw new BookCommandError('market.tick before runtime.start');
    const ctx = new TickStep(book, s, cmd.time_ms, probe);
    const candles = tickCandles(ctx, cmd);
    const skipped = tickSkipped(ctx, cmd, candles);
    // every symbol of the book (the usual tick): its sorted, readonly symbol list and one frozen payload, not new ones per tick
    const symbols = candles.length === book.symbols.length ? book.symbols : candles.map((c) => c.symbol);
    ctx.emit({ type: 'step.started', time_ms: cmd.time_ms, payload: symbols === book.symbols ? fullTickStarted : { command: cmd.kind, inbox_id: null, symbols } });
    if (!s.started) {
      const t0 = cmd.time_ms - book.interval_s * 1000;
      ctx.emit({ type: 'book.started', time_ms: t0, payload: { book_id: book.config.book_id, config_hash: book.config_hash, config: book.config_json, initial_cash: book.initial_cash, window_bars: book.window_bars } });
      for (const e of planDeposit(s.ledger, book.initial_cash, 'initial_cash')) ctx.emit({ ...e, time_ms: t0 });
      const p = book.policy;
      ctx.emit({ type: 'policy.changed', time_ms: t0, payload: { version: p.version, hash: p.hash, policy: p.json, by: 'config' } });
    }
    if (book.truth_epochs !== 'off' && s.epoch_auto && s.status === 'ACTIVE' && (s.truth_epoch_ms === null || cmd.time_ms > s.truth_epoch_ms)) {
      ctx.emit({ type: 'epoch.advanced', time_ms: cmd.time_ms, payload: { te_ms: cmd.time_ms, mode: 'auto', operator: null, justification: null, checks: autoChecks(s, symbols, skipped) } });
    }
    runTick(ctx, candles, slots, skipped);
    return ctx.out;
  }

  /** market.late: a candle whose tick ran without it (the symbol skipped as late) is recorded, and rewrites nothing. */
  function late(cmd: LateCommand, s: BookState): BookEvent[] {
    if (book === null) throw new BookCommandError('this book has no market (no book config): it takes no late candles');
    if (!s.running || !s.started) throw new BookCommandError('market.late before the book ran a tick');
    const c = cmd.candle;
    if (book.pairs[c.symbol] === undefined) throw new BookCommandError(`late candle for ${c.symbol}, which the book does not trade`);
    if (c.interval_s !== book.interval_s) throw new BookCommandError(`${c.symbol}: interval ${c.interval_s}s, the book runs ${book.interval_s}s`);
    if (closeTimeMs(c) !== cmd.time_ms) throw new BookCommandError(`${c.symbol}: late candle closes at ${closeTimeMs(c)}, the command says ${cmd.time_ms}`);
    if (cmd.time_ms > s.time_ms) throw new BookCommandError(`${c.symbol}: a candle closing at ${cmd.time_ms} is not late (the last tick is ${s.time_ms}): it belongs to a tick`);
    const prev = lastCandle(s, c.symbol);
    if (prev !== undefined && closeTimeMs(prev) >= cmd.time_ms) throw new BookCommandError(`${c.symbol}: late candle closing at ${cmd.time_ms} is not after its last recorded bar (${closeTimeMs(prev)})`);
    const bar = c.vwap === null ? c : { ...c, vwap: null };
    const out: BookEvent[] = [
      { type: 'step.started', time_ms: cmd.time_ms, payload: { command: 'market.late', inbox_id: null, symbols: [c.symbol] } },
      { type: 'bar.late', time_ms: cmd.time_ms, payload: bar },
    ];
    for (const e of out) evolve(s, e);
    return out;
  }

  function operator(c: OperatorCommand, s: BookState, emit: (e: BookEvent) => void): void {
    const base = { inbox_id: c.inbox_id, command: c.command, issued_by: c.issued_by };
    const reject = (why: string) => emit({ type: 'operator.command_rejected', time_ms: c.time_ms, payload: { ...base, why } });
    const apply = (reason: string, after: BookStatus) => emit({ type: 'operator.command_applied', time_ms: c.time_ms, payload: { ...base, reason, status_before: s.status, status_after: after } });
    if (!(known as readonly string[]).includes(c.command)) return reject(`unknown command (known: ${known.join(', ')})`);
    if (c.command.startsWith('directive.')) return governance(c, s, emit, reject, apply);
    if (c.command === 'epoch.advance') return epochAdvance(c, s, emit, reject, apply);
    const reason = reasonOf(c.payload, c.command === 'book.flatten' ? ['reason', 'symbols'] : ['reason']);
    if (typeof reason !== 'string') return reject(reason.rejected);
    if (s.status === 'UNOPENED') return reject('the book is not opened');
    if (c.command === 'book.flatten') {
      const symbols = flattenSymbols(c.payload, book as ResolvedBook);
      if (symbols !== null && 'rejected' in symbols) return reject(symbols.rejected);
      if (!s.started) return reject('no market tick processed yet: nothing to flatten');
      apply(reason, s.status);
      // the flatten's orders are decided at the book's market time (they fill on the next bar)
      flatten({ book: book as ResolvedBook, s, time_ms: s.time_ms, emit }, symbols, c.issued_by);
      checkInvariants(s);
      return;
    }
    const target: BookStatus = c.command === 'book.pause' ? 'PAUSED' : 'ACTIVE';
    if (s.status === target) return reject(`the book is already ${target}`);
    apply(reason, target);
  }

  /** directive.propose / approve / reject: checked here (a malformed or impossible command is rejected, nothing else written), then govern.ts. */
  function governance(c: OperatorCommand, s: BookState, emit: (e: BookEvent) => void, reject: (why: string) => void, apply: (reason: string, after: BookStatus) => void): void {
    if (book === null) return reject('this book has no config, so no policy: directives need a trading book');
    const name = /^operator:(.+)$/.exec(c.issued_by)?.[1];
    if (name === undefined || !OPERATOR_NAME_RE.test(name)) return reject(`${c.command} needs a named operator (issued_by "operator:<name>", from --as NAME), got ${JSON.stringify(c.issued_by)}`);
    if (!s.started) return reject('the book has not started trading yet (no market tick): no policy to evaluate with');
    const ctx: StepContext = { book, s, time_ms: s.time_ms, emit, probe };
    const p = parseGovernancePayload(c.command, c.payload, book);
    if ('rejected' in p) return reject(p.rejected);
    if (p.kind === 'propose') {
      apply(p.objective, s.status);
      propose(ctx, {
        type: p.type, issued_by: c.issued_by, objective: p.objective, symbols: p.symbols, payload: p.payload, notional: null, timebox_bars: p.timebox_bars,
        idempotency_key: `inbox:${c.inbox_id}`, module: p.module, provenance: { inbox_id: c.inbox_id },
      }, [], null);
      return;
    }
    const d = s.directives.get(p.directive_id);
    if (p.kind === 'retry') {
      // only a blocked directive the state still keeps (its timebox has not ended; see evolve's retainBlocked)
      if (d === undefined || d.status !== 'blocked') return reject(`directive ${p.directive_id} cannot be retried: only a blocked directive whose timebox has not ended can (see warden directives show ${p.directive_id})`);
      const te = d.directive.timebox.expires_ms;
      if (te !== null && s.time_ms >= te) return reject(`directive ${p.directive_id} expired at event time ${te} ms (its timebox; the book is at ${s.time_ms}): it cannot be retried`);
      apply(p.note ?? '', s.status);
      retry(ctx, d, c.issued_by, p.note);
      return;
    }
    if (d === undefined || d.status !== 'proposed') return reject(`directive ${p.directive_id} is not waiting for approval (unknown, or already approved, blocked, expired or done: see warden directives show ${p.directive_id})`);
    const t = d.directive.timebox.expires_ms;
    if (t !== null && s.time_ms >= t) return reject(`directive ${p.directive_id} expired at event time ${t} ms (its timebox; the book is at ${s.time_ms})`);
    if (p.kind === 'approve' && d.verdict === null) return reject(`directive ${p.directive_id} was retried and waits for the policy's new verdict at the next tick: approve it after that`);
    if (p.kind === 'approve') {
      apply(p.note ?? '', s.status);
      approve(ctx, d, c.issued_by, p.note);
    } else {
      apply(p.reason, s.status);
      reject_(ctx, d, c.issued_by, p.reason);
    }
  }

  /** epoch.advance (`warden epoch advance`): TE moves through its gate (./epochs.ts), or an operator overrides it with a justification. */
  function epochAdvance(c: OperatorCommand, s: BookState, emit: (e: BookEvent) => void, reject: (why: string) => void, apply: (reason: string, after: BookStatus) => void): void {
    if (book === null) return reject('this book has no config: truth epochs need a trading book');
    if (book.truth_epochs === 'off') return reject('truth epochs are off for this book (its config has no governance.truth_epochs): ticks follow complete data');
    const name = /^operator:(.+)$/.exec(c.issued_by)?.[1];
    if (name === undefined || !OPERATOR_NAME_RE.test(name)) return reject(`epoch.advance needs a named operator (issued_by "operator:<name>", from --as NAME), got ${JSON.stringify(c.issued_by)}`);
    if (s.status === 'UNOPENED') return reject('the book is not opened');
    const p = parseEpochAdvance(c.payload, book);
    if ('rejected' in p) return reject(p.rejected);
    if (s.truth_epoch_ms !== null && p.to_ms <= s.truth_epoch_ms) return reject(`the truth epoch is already at ${s.truth_epoch_ms} ms (asked ${p.to_ms}): it only moves forward`);
    const checks = epochGate(book, s, p);
    const failed = checks.filter((x) => !x.ok);
    if (failed.length > 0 && !p.override) return reject(`gate failed: ${failed.map((x) => `${x.check}: ${x.detail}`).join(' | ')}`.slice(0, 1000));
    apply(p.justification ?? '', s.status);
    emit({ type: 'epoch.advanced', time_ms: c.time_ms, payload: { te_ms: p.to_ms, mode: p.override ? 'override' : 'manual', operator: c.issued_by, justification: p.justification, checks } });
  }

  return {
    step,
    decide: (command, state) => step(command, cloneState(state)),
    evolve,
    initialState: initialBookState,
  };
}
