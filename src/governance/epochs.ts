/**
 * Truth epochs for the operator (`warden epoch show|advance`; infra/TRUTH_EPOCHS.md): the read
 * model (TE, mode, status, quarantine, the book's recorded config, CTT per series from the market
 * data tables) and the advance service. The advance runs the gate here first, on what the store
 * says now, so a failed gate is refused at once with the failed checks and nothing recorded; a
 * passing (or overridden) advance is recorded as an inbox command carrying exactly that evidence
 * (CTT per symbol, quarantine), and the book re-runs the same gate on it as one step
 * (core/book/epochs.ts): the decision a replay reproduces from the log.
 */
import type { CanonicalValue } from '../core/canonical/index.js';
import { BOOK_STATUSES, dataCompleteAt, healthChecks, latestCompleteMs, resolveBook, type BookStatus, type EpochCheck, type ResolvedBook } from '../core/book/index.js';
import { EXIT } from '../exit-codes.js';
import type { EventStore } from '../store/event-store.js';
import { CandleStore } from '../store/candle-store.js';
import { GovernanceError } from './errors.js';
import { submit, type Submitted } from './commands.js';
import type { OperatorPort } from './operator.js';

/** Event types the epoch view folds (status, TE, mode, the recorded config). */
export const EPOCH_VIEW_TYPES = ['book.opened', 'book.started', 'operator.command_applied', 'book.status_changed', 'tick.completed', 'epoch.advanced', 'epoch.mode_changed'] as const;
const PAGE = 1000;

export interface SeriesCtt {
  symbol: string;
  interval_s: number;
  /** Canonical truth time: the close of the newest candle that passed the ingestion gate. */
  ctt_ms: number;
}

export interface EpochView {
  stream: string;
  exists: boolean;
  status: BookStatus;
  truth_epoch_ms: number | null;
  epoch_auto: boolean;
  quarantined: boolean;
  /** The config the book recorded at its first tick (book.started), or null before it. */
  config: CanonicalValue | null;
  /** The last epoch.advanced: its mode, operator and seq, or null. */
  last_advance: { seq: number; mode: string; operator: string | null; te_ms: number } | null;
  series: SeriesCtt[];
}

type Json = { [k: string]: CanonicalValue };
const statusOf = (v: CanonicalValue | undefined): BookStatus => ((BOOK_STATUSES as readonly unknown[]).includes(v) ? (v as BookStatus) : 'UNOPENED');

/** The epoch view of `stream`, folded from its events and the market tables (reads only). */
export async function readEpochView(store: EventStore, stream: string): Promise<EpochView> {
  const { quarantineStatus } = await import('../replay/quarantine.js');
  const view: EpochView = { stream, exists: false, status: 'UNOPENED', truth_epoch_ms: null, epoch_auto: false, quarantined: false, config: null, last_advance: null, series: [] };
  for await (const page of store.readTypesPaged(stream, EPOCH_VIEW_TYPES, { pageSize: PAGE })) {
    for (const e of page) {
      const p = e.payload as Json;
      view.exists = true;
      if (e.type === 'book.opened') view.status = 'ACTIVE';
      else if (e.type === 'book.started') view.config = p.config ?? null;
      else if (e.type === 'operator.command_applied') view.status = statusOf(p.status_after);
      else if (e.type === 'book.status_changed') view.status = statusOf(p.to);
      else if (e.type === 'tick.completed' && p.status === 'HALTED') view.status = 'HALTED';
      else if (e.type === 'epoch.mode_changed') view.epoch_auto = p.mode === 'auto';
      else if (e.type === 'epoch.advanced') {
        view.truth_epoch_ms = Number(p.te_ms);
        view.last_advance = { seq: e.seq, mode: String(p.mode), operator: typeof p.operator === 'string' ? p.operator : null, te_ms: Number(p.te_ms) };
      }
    }
  }
  if (!view.exists) view.exists = (await store.head(stream)) !== null;
  view.quarantined = (await quarantineStatus(store, stream)) !== null;
  view.series = (await new CandleStore(store.db).series()).map((s) => ({ symbol: s.symbol, interval_s: s.interval_s, ctt_ms: s.ctt_ms }));
  return view;
}

/** The book's config: as recorded (book.started), else the runtime's config file (WARDEN_BOOK_CONFIG) when it is this book's. */
export function epochBook(view: EpochView, id: string, fileConfig: (() => unknown) | null): ResolvedBook {
  let raw: unknown = view.config;
  if (raw === null) {
    if (fileConfig === null) throw new GovernanceError(`book ${id} has not run a tick yet, so its config is not in its log: set WARDEN_BOOK_CONFIG to the runtime's book config`, EXIT.config);
    raw = fileConfig();
  }
  const book = resolveBook(raw);
  if (book.config.book_id !== id) throw new GovernanceError(`the book config is for book ${book.config.book_id}, not ${id}`, EXIT.config);
  return book;
}

/** CTT per symbol of the book (its timeframe); null where the series has no candle. */
export function cttOf(book: ResolvedBook, series: readonly SeriesCtt[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const s of book.symbols) out[s] = series.find((x) => x.symbol === s && x.interval_s === book.interval_s)?.ctt_ms ?? null;
  return out;
}

/** off: ticks follow complete data; manual / auto: ticks wait for TE; unknown: the config is not known here. */
export type EpochMode = 'off' | 'manual' | 'auto' | 'unknown';
export function epochMode(book: ResolvedBook | null, view: EpochView): EpochMode {
  if (book === null) return view.epoch_auto ? 'auto' : 'unknown';
  if (book.truth_epochs === 'off') return 'off';
  return view.epoch_auto ? 'auto' : 'manual';
}

export interface AdvanceRequest {
  id: string;
  issued_by: string;
  to_ms: number | null;
  override: boolean;
  justification: string | null;
  wait_ms: number;
}

export interface AdvanceResult extends Submitted {
  to_ms: number;
  checks: EpochCheck[];
  override: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * `warden epoch advance`: the gate on the store's facts now; refused (exit 1, nothing recorded)
 * when it fails without --override; else the inbox command, and the running runtime's answer.
 */
export async function advanceEpoch(port: OperatorPort, req: AdvanceRequest, fileConfig: (() => unknown) | null): Promise<AdvanceResult> {
  const stream = `book:${req.id}`;
  const view = await port.epochView(stream);
  if (!view.exists) throw new GovernanceError(`there is no ${stream} yet (start the runtime with WARDEN_BOOK=${req.id} first); nothing was recorded`, EXIT.failure);
  const book = epochBook(view, req.id, fileConfig);
  if (book.truth_epochs === 'off') throw new GovernanceError(`book ${req.id} has truth epochs off (no governance.truth_epochs in its config): its ticks follow complete data; nothing was recorded`, EXIT.failure);
  const ctt = cttOf(book, view.series);
  const te = view.truth_epoch_ms;
  const to = req.to_ms ?? latestCompleteMs(book, ctt, te);
  if (to === null) {
    throw new GovernanceError(`no bar close after the truth epoch (${te === null ? 'none yet' : iso(te)}) has complete data (CTT: ${book.symbols.map((s) => `${s} ${ctt[s] === null ? 'none' : iso(ctt[s] as number)}`).join(', ')}); pass --to with --override to force one; nothing was recorded`, EXIT.failure);
  }
  if (to % (book.interval_s * 1000) !== 0) throw new GovernanceError(`--to ${iso(to)} is not a bar close of the book's ${book.interval_s}s bars`, EXIT.usage);
  if (te !== null && to <= te) throw new GovernanceError(`the truth epoch of ${req.id} is already at ${iso(te)} (asked ${iso(to)}): it only moves forward; nothing was recorded`, EXIT.failure);
  const checks = [dataCompleteAt(book, to, ctt), ...healthChecks(view, view.quarantined)];
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0 && !req.override) {
    throw new GovernanceError(
      `the truth-epoch gate refuses ${iso(to)} for ${req.id}: ${failed.map((c) => `${c.check}: ${c.detail}`).join('; ')}. Nothing was recorded ` +
        '(an emergency override: --override --justification "why")', EXIT.failure,
    );
  }
  const payload: CanonicalValue = { to_ms: to, ctt, quarantined: view.quarantined, override: req.override, justification: req.justification };
  const s = await submit(port, stream, 'epoch.advance', payload, req.issued_by, req.wait_ms);
  return { ...s, to_ms: to, checks, override: req.override };
}

export function formatAdvance(r: AdvanceResult): string {
  const lines = [`inbox ${r.inbox_id}: epoch.advance of ${r.stream} to ${iso(r.to_ms)} (${r.to_ms})${r.override ? ' with an OVERRIDE' : ''} recorded by ${r.issued_by}`];
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}`);
  if (r.outcome === null) lines.push(r.runtime === null ? 'no runtime runs the book: it applies the command when it starts' : `no answer from the runtime within the wait (${r.waited_ms} ms); see warden epoch show`);
  else if (r.outcome.answer === 'applied') lines.push(`applied at seq ${r.outcome.seq}: the truth epoch is ${iso(r.to_ms)}`);
  else lines.push(`REJECTED by the book at seq ${r.outcome.seq}: ${r.outcome.detail}`);
  return `${lines.join('\n')}\n`;
}

export function formatView(id: string, view: EpochView, book: ResolvedBook | null): string {
  const mode = epochMode(book, view);
  const te = view.truth_epoch_ms === null ? 'none yet' : `${iso(view.truth_epoch_ms)} (${view.truth_epoch_ms})`;
  const lines = [
    `book ${id}: truth epochs ${mode}${mode === 'off' ? ' (ticks follow complete data)' : ''}; status ${view.status}${view.quarantined ? ', QUARANTINED' : ''}`,
    `truth epoch (TE): ${te}${view.last_advance === null ? '' : `, last advanced ${view.last_advance.mode}${view.last_advance.operator === null ? '' : ` by ${view.last_advance.operator}`} (seq ${view.last_advance.seq})`}`,
    'CTT per series (newest candle through the ingestion gate):',
  ];
  const series = book === null ? view.series : view.series.filter((s) => book.symbols.includes(s.symbol) && s.interval_s === book.interval_s);
  if (series.length === 0) lines.push('  (no candles stored)');
  for (const s of series) lines.push(`  ${s.symbol} ${s.interval_s}s  ${iso(s.ctt_ms)}`);
  return `${lines.join('\n')}\n`;
}
