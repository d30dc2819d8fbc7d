/**
 * Prometheus metrics (prom-client, one registry per server; /metrics serves its text). Counted
 * from the events the runtime appends (handed on by the API's tailer: src/api/tailer.ts) and
 * from the store at scrape time; timings from the runtime's own hook. Nothing is faked: the
 * governance metrics (seed 003 phase 8) are registered only when their first event is seen, so
 * they are absent from the text until a book records directives.
 *
 *   ticks_total{status}                 market ticks: the kernel's tick.completed status (DEGRADED, HALTED), else HALTED (tier halted), DEGRADED (a symbol had no bar), OK
 *   tick_duration_seconds               wall time of a tick step, decide + append (runtime only)
 *   events_appended_total{stream}       events appended to each book stream (its head: the log is append-only)
 *   candles_ingested_total{symbol,interval_s}  accepted candles of each series (append-only table)
 *   gate_rejections_total{gate,rule}    directives the policy blocked: gate = the blocking rule, rule = its reason code
 *   feed_errors_total                   failed market reads (runtime only)
 *   book_equity{stream}, book_drawdown_percent{stream}, book_tier{stream,tier}  from the newest mark
 *   data_staleness_seconds{symbol,interval_s}  seconds since the series' CTT (close of its last candle)
 *   directives_total{status}, policy_evaluations_total{verdict}, module_executions_total{module_name,status},
 *   execution_failures_total{failure_type}  governance, from its events
 *   policy_evaluation_duration_seconds{directive_type}, execution_duration_seconds{directive_type}
 *                                       wall time of the kernel's policy evaluation and of a module's execution, measured
 *                                       by the runtime through the kernel's timing seam (src/core/book/probe.ts); registered
 *                                       at the first one (absent in `warden serve`, which runs no kernel)
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CanonicalValue } from '../core/canonical/index.js';
import type { ProbeKind } from '../core/book/probe.js';

export interface EventLike {
  readonly seq: number;
  readonly type: string;
  readonly time_ms: number;
  readonly payload: CanonicalValue;
}

/** Figures read from the store at scrape time. */
export interface StoreFigures {
  streams(): Promise<Array<{ stream: string; head_seq: number }>>;
  series(): Promise<Array<{ symbol: string; interval_s: number; rows: number; ctt_ms: number }>>;
}

/** The event types the counters read (the tailer reads only these bodies). */
export const METRIC_EVENT_TYPES = [
  'step.started', 'mark.recorded', 'tick.completed', 'directive.proposed', 'directive.status_changed', 'policy.evaluated', 'execution.status_changed',
] as const;

const TIERS = ['normal', 'reduced', 'reducing_only', 'halted'];
/** Policy evaluation and module execution are pure in-memory work: microseconds to milliseconds. */
const DURATION_BUCKETS_S = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1];
type Obj = Record<string, CanonicalValue>;
const obj = (v: CanonicalValue | undefined): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const text = (v: CanonicalValue | undefined, dflt: string): string => (typeof v === 'string' && v.length > 0 ? v : dflt);

export class Metrics {
  readonly registry = new Registry();
  private readonly ticks: Counter<'status'>;
  private readonly tickDuration: Histogram;
  private readonly gateRejections: Counter<'gate' | 'rule'>;
  private readonly feedErrors: Counter;
  private readonly equity: Gauge<'stream'>;
  private readonly drawdown: Gauge<'stream'>;
  private readonly tier: Gauge<'stream' | 'tier'>;
  private readonly lazy = new Map<string, Counter<string>>();
  private readonly durations = new Map<ProbeKind, Histogram<'directive_type'>>();
  /** Per stream: the tick waiting for its mark, and the most symbols a tick of it carried. */
  /** The tick in progress per stream: closed at the next step, at its tick.completed, or at a scrape (a step is appended whole). */
  private readonly open = new Map<string, { symbols: number; maxSymbols: number; tier: string | null; outcome: string | null } | null>();
  private readonly maxSymbols = new Map<string, number>();

  private store: StoreFigures | null = null;

  constructor(store: StoreFigures | null = null, private readonly now: () => number = Date.now) {
    const registers = [this.registry];
    this.ticks = new Counter({ name: 'ticks_total', help: 'Market ticks applied, by status (OK, DEGRADED: a symbol had no bar, HALTED: tier halted)', labelNames: ['status'], registers });
    this.tickDuration = new Histogram({
      name: 'tick_duration_seconds', help: 'Wall time of one tick step (decide, append, evolve), in the runtime', registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
    this.gateRejections = new Counter({ name: 'gate_rejections_total', help: 'Intents denied by a gate, by gate and reason code', labelNames: ['gate', 'rule'], registers });
    this.feedErrors = new Counter({ name: 'feed_errors_total', help: 'Failed market data reads in the runtime', registers });
    this.equity = new Gauge({ name: 'book_equity', help: "Book equity in the quote currency at its newest mark", labelNames: ['stream'], registers });
    this.drawdown = new Gauge({ name: 'book_drawdown_percent', help: 'Book drawdown from its equity peak, percent, at its newest mark', labelNames: ['stream'], registers });
    this.tier = new Gauge({ name: 'book_tier', help: 'Drawdown tier of the book at its newest mark (1 = the current tier)', labelNames: ['stream', 'tier'], registers });
    if (store !== null) this.attachStore(store);
  }

  /** Registers the metrics read from the store at scrape time (once). */
  attachStore(store: StoreFigures): void {
    if (this.store !== null) return;
    this.store = store;
    const registers = [this.registry];
    const now = this.now;
    new Counter({
      name: 'events_appended_total', help: 'Events in each book stream (append-only: its head seq)', labelNames: ['stream'], registers,
      async collect() {
        this.reset();
        for (const s of await store.streams()) this.inc({ stream: s.stream }, s.head_seq);
      },
    });
    new Counter({
      name: 'candles_ingested_total', help: 'Accepted candles per series (append-only)', labelNames: ['symbol', 'interval_s'], registers,
      async collect() {
        this.reset();
        for (const s of await store.series()) this.inc({ symbol: s.symbol, interval_s: String(s.interval_s) }, s.rows);
      },
    });
    new Gauge({
      name: 'data_staleness_seconds', help: "Seconds since the series' CTT (close of its last accepted candle)", labelNames: ['symbol', 'interval_s'], registers,
      async collect() {
        this.reset();
        const t = now();
        for (const s of await store.series()) this.set({ symbol: s.symbol, interval_s: String(s.interval_s) }, Math.max(0, (t - s.ctt_ms) / 1000));
      },
    });
  }

  private counter(name: string, help: string, labelNames: string[]): Counter<string> {
    let c = this.lazy.get(name);
    if (c === undefined) {
      c = new Counter({ name, help, labelNames, registers: [this.registry] });
      this.lazy.set(name, c);
    }
    return c;
  }

  /** The kernel's policy evaluation or a module's execution of a `directiveType` directive took `seconds` (wall time, runtime only). */
  observeDuration(kind: ProbeKind, directiveType: string, seconds: number): void {
    let h = this.durations.get(kind);
    if (h === undefined) {
      h = new Histogram({
        name: `${kind}_duration_seconds`, labelNames: ['directive_type'], registers: [this.registry], buckets: DURATION_BUCKETS_S,
        help: kind === 'policy_evaluation' ? "Wall time of the kernel's policy evaluation of one directive, by directive type (runtime only)" : "Wall time of one directive's module execution in the kernel, by directive type (runtime only)",
      });
      this.durations.set(kind, h);
    }
    h.observe({ directive_type: directiveType }, seconds);
  }

  /** A runtime tick step took `seconds` (wall time). */
  observeTickDuration(seconds: number): void {
    this.tickDuration.observe(seconds);
  }

  feedError(): void {
    this.feedErrors.inc();
  }

  /** Sets the per-book gauges from a mark.recorded payload (also used to seed them at start). */
  mark(stream: string, payload: CanonicalValue): void {
    const p = obj(payload);
    const equity = Number(p.equity);
    const dd = Number(p.drawdown_pct);
    if (Number.isFinite(equity)) this.equity.set({ stream }, equity);
    if (Number.isFinite(dd)) this.drawdown.set({ stream }, dd);
    const tier = text(p.tier, '');
    if (TIERS.includes(tier)) for (const t of TIERS) this.tier.set({ stream, tier: t }, t === tier ? 1 : 0);
  }

  /** Counts newly appended events of a stream, in seq order. */
  observe(stream: string, events: readonly EventLike[]): void {
    for (const e of events) this.observeOne(stream, e);
  }

  private observeOne(stream: string, e: EventLike): void {
    const p = obj(e.payload);
    switch (e.type) {
      case 'step.started': {
        this.closeTick(stream);
        if (p.command === 'market.tick') {
          const n = Array.isArray(p.symbols) ? p.symbols.length : 0;
          const max = Math.max(n, this.maxSymbols.get(stream) ?? 0);
          this.maxSymbols.set(stream, max);
          this.open.set(stream, { symbols: n, maxSymbols: max, tier: null, outcome: null });
        }
        return;
      }
      case 'mark.recorded': {
        this.mark(stream, e.payload);
        const t = this.open.get(stream);
        if (t) t.tier = text(p.tier, 'normal');
        return;
      }
      case 'tick.completed': {
        const t = this.open.get(stream);
        if (t) t.outcome = text(p.status, 'DEGRADED');
        this.closeTick(stream);
        return;
      }
      case 'directive.proposed':
        this.counter('directives_total', 'Directive status changes, by the status entered (proposed, approved, ...)', ['status']).inc({ status: 'proposed' });
        return;
      case 'directive.status_changed':
        this.counter('directives_total', 'Directive status changes, by the status entered (proposed, approved, ...)', ['status']).inc({ status: text(p.to, 'unknown') });
        return;
      case 'policy.evaluated':
        this.counter('policy_evaluations_total', 'Policy evaluations of directives, by verdict', ['verdict']).inc({ verdict: text(p.verdict, 'unknown') });
        if (p.verdict === 'BLOCK') {
          // the blocking rule, and its reason code ("tier_halted: ..." -> tier_halted)
          for (const r of Array.isArray(p.results) ? p.results : []) {
            const x = obj(r);
            if (x.verdict !== 'BLOCK') continue;
            this.gateRejections.inc({ gate: text(x.rule, 'unknown'), rule: text(x.reason, 'unspecified').split(':')[0]!.trim() || 'unspecified' });
          }
        }
        return;
      case 'execution.status_changed': {
        const to = text(p.to, 'unknown');
        if (to === 'completed' || to === 'failed' || to === 'canceled') {
          this.counter('module_executions_total', 'Execution runs finished, by module and status', ['module_name', 'status']).inc({ module_name: text(p.module, 'unknown'), status: to });
        }
        if (to === 'failed') {
          // the module's outcome (the run's detail starts with it): FAILURE (expected) or ERROR (unexpected)
          const kind = typeof p.detail === 'string' ? p.detail.split(':')[0]!.trim() : '';
          this.counter('execution_failures_total', 'Failed execution runs, by failure type', ['failure_type']).inc({ failure_type: kind === 'FAILURE' || kind === 'ERROR' ? kind : 'unknown' });
        }
        return;
      }
    }
  }

  /** A tick ends at its mark (or at the next step if it had none). */
  private closeTick(stream: string): void {
    const t = this.open.get(stream);
    if (!t) return;
    this.open.set(stream, null);
    // the kernel's own outcome (tick.completed) first; else a halted tier, or a symbol without a bar
    const status = t.outcome ?? (t.tier === 'halted' ? 'HALTED' : t.symbols < t.maxSymbols ? 'DEGRADED' : 'OK');
    this.ticks.inc({ status });
  }

  text(): Promise<string> {
    for (const stream of [...this.open.keys()]) this.closeTick(stream);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
