/**
 * `warden monitors run [--book ID]... [--at ISO] [thresholds] [--json]`: one pass of the monitors
 * (src/monitors/run.ts) over the store: stale data, gaps, drawdown near a tier, tick lag (feed
 * errors only run inside the runtime, where the feeds are). New findings are raised in
 * audit:suggestions and logged as `suggestion` lines; conditions gone are cleared; a repeat pass
 * writes nothing. Exit 0 whatever it finds (monitors suggest, they do not fail a run); 1 when a
 * monitor could not run.
 * `warden monitors list [--book ID] [--open] [--limit N] [--json]`: the suggestions recorded.
 */
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';

function owner(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers)
  }
  return `cli:${user}@${hostname()}`;
}

const intOpt = (name: string) => (v: string): number => {
  if (!/^\d{1,9}$/.test(v)) throw new CliError(`${name} ${JSON.stringify(v)}: expected an integer`, EXIT.usage);
  return Number(v);
};
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

interface RunOpts {
  book?: string[]; at?: string; json?: boolean; staleAfter?: number; staleCriticalAfter?: number; gapLookback?: number; drawdownNear?: string; tickLag?: number;
}

export function registerMonitors(program: Command, globals: () => GlobalOptions): void {
  const cmd = program.command('monitors').description('bounded automation: monitors that observe the store and suggest (audit:suggestions); they never act');
  cmd
    .command('run')
    .description('run every monitor once: raise new findings, clear the ones gone (a repeat writes nothing)')
    .option('--book <id>', 'only this book for the book monitors (an id, or a stream such as backtest:<id>:<run>); repeatable', collect)
    .option('--at <iso>', 'judge staleness as of this UTC time instead of now (drills, tests)')
    .option('--stale-after <n>', 'stale_data warns past this many intervals since the newest candle closed (default 3, 1..10000)', intOpt('--stale-after'))
    .option('--stale-critical-after <n>', 'stale_data is critical past this many intervals (default 24)', intOpt('--stale-critical-after'))
    .option('--gap-lookback <n>', 'gap looks at the last n intervals of each series (default 48, 2..10000)', intOpt('--gap-lookback'))
    .option('--drawdown-near <pct>', 'drawdown_near_tier: within this many percentage points of the next tier (default 2, 0 < x <= 100)')
    .option('--tick-lag <n>', "tick_lag: a book's last tick this many intervals behind its newest complete data (default 3)", intOpt('--tick-lag'))
    .option('--json', 'print the pass as JSON')
    .action(async (opts: RunOpts) => {
      const { DEFAULT_THRESHOLDS, checkThresholds } = await import('../../monitors/thresholds.js');
      const { Decimal } = await import('../../core/money/index.js');
      let now_ms = Date.now();
      if (opts.at !== undefined) {
        now_ms = Date.parse(opts.at);
        if (!/^\d{4}-\d\d-\d\dT/.test(opts.at) || !Number.isFinite(now_ms)) throw new CliError(`--at ${JSON.stringify(opts.at)}: expected an ISO 8601 UTC time such as 2026-01-31T12:00:00Z`, EXIT.usage);
      }
      let near = DEFAULT_THRESHOLDS.drawdown_near_pct;
      if (opts.drawdownNear !== undefined) {
        try {
          near = Decimal.parse(opts.drawdownNear, '--drawdown-near');
        } catch {
          throw new CliError(`--drawdown-near ${JSON.stringify(opts.drawdownNear)}: expected a decimal number of percentage points such as 2.5`, EXIT.usage);
        }
      }
      const thresholds = checkThresholds({
        stale_after_intervals: opts.staleAfter ?? DEFAULT_THRESHOLDS.stale_after_intervals,
        stale_critical_after_intervals: opts.staleCriticalAfter ?? Math.max(DEFAULT_THRESHOLDS.stale_critical_after_intervals, opts.staleAfter ?? 0),
        gap_lookback_intervals: opts.gapLookback ?? DEFAULT_THRESHOLDS.gap_lookback_intervals,
        drawdown_near_pct: near,
        tick_lag_intervals: opts.tickLag ?? DEFAULT_THRESHOLDS.tick_lag_intervals,
      });
      await withStore(globals(), 'monitors run', async ({ db, log }) => {
        const { EventStore } = await import('../../store/event-store.js');
        const store = new EventStore(db);
        for (const b of opts.book ?? []) {
          const stream = b.includes(':') ? b : `book:${b}`;
          if ((await store.head(stream)) === null) throw new CliError(`--book ${JSON.stringify(b)}: no stream ${stream} in the store (see warden data status / warden book status)`, EXIT.usage);
        }
        const { runMonitors } = await import('../../monitors/run.js');
        const r = await runMonitors(db, store, { thresholds, now_ms, books: opts.book, owner: owner(), log });
        if (r.failures.length > 0) process.exitCode = EXIT.failure;
        if (opts.json) {
          return writeJson({
            now_ms: r.now_ms, ran: r.ran, findings: r.findings.length, unchanged: r.unchanged, raised: r.raised, cleared: r.cleared, failures: r.failures,
            audit_stream: 'audit:suggestions', head_seq: r.head_seq,
            thresholds: { ...thresholds, drawdown_near_pct: thresholds.drawdown_near_pct.toString() },
          });
        }
        const lines = [
          `monitors ${r.ran.join(', ')} at ${new Date(r.now_ms).toISOString()}: ${r.findings.length} finding(s); ${r.raised.length} raised, ${r.cleared.length} cleared, ${r.unchanged} already open (audit:suggestions head ${r.head_seq})`,
          ...r.raised.map((s) => `  raised  [${s.severity}] ${s.key}: ${s.message}`),
          ...r.cleared.map((c) => `  cleared ${c.key}`),
          ...r.failures.map((f) => `  FAILED  ${f.monitor}${f.book === null ? '' : ` (${f.book})`}: ${f.reason}`),
        ];
        process.stdout.write(lines.join('\n') + '\n');
      });
    });

  cmd
    .command('list')
    .description('the suggestions recorded in audit:suggestions, oldest first, each with its fate')
    .option('--book <id>', 'only suggestions about this book')
    .option('--open', 'only suggestions still open')
    .option('--limit <n>', 'at most n (1..1000, default 100)', intOpt('--limit'))
    .option('--json', 'print them as JSON')
    .action(async (opts: { book?: string; open?: boolean; limit?: number; json?: boolean }) => {
      const { LIST_SUGGESTIONS_LIMIT_MAX, listSuggestions } = await import('../../monitors/read.js');
      const limit = opts.limit ?? 100;
      if (limit < 1 || limit > LIST_SUGGESTIONS_LIMIT_MAX) throw new CliError(`--limit ${limit}: expected 1..${LIST_SUGGESTIONS_LIMIT_MAX}`, EXIT.usage);
      await withStore(globals(), 'monitors list', async ({ db }) => {
        const { EventStore } = await import('../../store/event-store.js');
        const page = await listSuggestions(new EventStore(db), { book: opts.book, open_only: opts.open === true, limit });
        if (opts.json) return writeJson(page);
        const lines = page.suggestions.map((s) =>
          `${s.seq}\t${new Date(s.observed_at_ms).toISOString()}\t${s.severity}\t${s.cleared === null ? 'open' : `cleared ${new Date(s.cleared.observed_at_ms).toISOString()}`}\t${s.key}\t${s.message}`);
        process.stdout.write([...lines, `${page.suggestions.length} shown, ${page.open_count} open (audit:suggestions head ${page.head_seq})`].join('\n') + '\n');
      }, { brief: true });
    });
}
