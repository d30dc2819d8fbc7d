/**
 * `warden quickstart`: what `npm start` runs, the LIVE demo (src/quickstart/: set the store up, then
 * the paper runtime in this process on the replay feed with the dashboard, until Ctrl-C).
 *
 * `warden quickstart --backtest`: the one-shot backtest demo (src/quickstart/backtest.ts); this
 * file parses the options and prints.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';
import { formatOutcome, outcomeJson } from './backtest.js';

/** The default of --report (kept here: the registration loads no implementation). */
export const QUICKSTART_REPORT = join('var', 'reports', 'quickstart.html');

interface QuickstartOptions {
  backtest?: boolean;
  report: string;
  persist?: boolean;
  json?: boolean;
  port: string;
  barsPerSecond: string;
  from: string;
  logs?: boolean;
}

/** The live demo: an adapter over src/quickstart (set-up on a store opened here, then the runtime). */
async function liveCommand(opts: QuickstartOptions, globals: GlobalOptions): Promise<void> {
  const demo = await import('../../quickstart/demo.js');
  if (opts.json || opts.persist || opts.report !== QUICKSTART_REPORT) throw new CliError('--json, --persist and --report belong to the backtest demo: warden quickstart --backtest', EXIT.usage);
  const port = Number(opts.port);
  if (!/^\d{1,5}$/.test(opts.port) || port > 65535) throw new CliError(`--port ${JSON.stringify(opts.port)}: expected an integer 0..65535 (0 = a free port)`, EXIT.usage);
  const bps = Number(opts.barsPerSecond);
  const { REPLAY_BARS_PER_SECOND_MAX } = await import('../../feeds/replay.js');
  if (!(bps > 0 && bps <= REPLAY_BARS_PER_SECOND_MAX)) throw new CliError(`--bars-per-second ${JSON.stringify(opts.barsPerSecond)}: expected a number above 0 and at most ${REPLAY_BARS_PER_SECOND_MAX}`, EXIT.usage);
  const from = demo.dayMs(opts.from);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.from) || Number.isNaN(from) || from >= demo.dayMs(demo.DEMO_REPLAY_TO)) {
    throw new CliError(`--from ${JSON.stringify(opts.from)}: expected a UTC date (2022-10-01) before ${demo.DEMO_REPLAY_TO}, the end of the bundled BTC/USD file`, EXIT.usage);
  }
  const say = (line: string) => process.stdout.write(line + '\n');
  const { prepareDemoStore } = await import('../../quickstart/prepare.js');
  const { runLive, sayPrepared } = await import('../../quickstart/live.js');
  const prepared = await withStore(globals, 'quickstart', async ({ db }) => {
    const p = await prepareDemoStore(db, opts.from);
    sayPrepared(p, db.description, say);
    return p;
  }, { create: true });
  say('starting the paper runtime (the first start on a new store takes a few seconds more)...');
  const code = await runLive({ profile: globals.envFile, port, bars_per_second: bps, from: opts.from, logs: opts.logs === true, say }, prepared);
  if (code === EXIT.ok) {
    const { cliCommand } = await import('../../quickstart/watch.js');
    say(`\nstopped cleanly. Prove the run: ${cliCommand(globals.envFile, `replay verify --book ${demo.DEMO_BOOK_ID}`)}\nResume: npm start (or the same command again)`);
  }
  process.exitCode = code;
}

export async function quickstartCommand(opts: QuickstartOptions, globals: GlobalOptions): Promise<void> {
  (await import('../../config/files.js')).checkOutputPath(opts.report, '--report'); // before any work
  const { backtestDemo, loadQuickstartBook } = await import('../../quickstart/backtest.js');
  await loadQuickstartBook(); // a bad book before the store is opened
  const say = (line: string) => {
    if (!opts.json) process.stdout.write(line + '\n');
  };
  const result = await withStore(globals, 'quickstart', ({ db, log }) => backtestDemo(db, log, { persist: opts.persist === true, report: opts.report }, say), { create: true });
  if (opts.json) {
    const o = result.outcome;
    writeJson({ store: result.store, schema_version: result.schema_version, ingested: result.ingested, ...(outcomeJson(o) as object) });
    return;
  }
  process.stdout.write(await formatOutcome(result.outcome));
  process.stdout.write(`\nOpen the report: ${result.outcome.report}\nNext: warden --profile config/embedded.env backtest --config <your book.json> (README, section Backtest)\n`);
}

export function registerQuickstart(program: Command, globals: () => GlobalOptions): void {
  program
    .command('quickstart')
    .description('the live demo (npm start): migrate, ingest a warm-up week, run the demo book on the paper runtime over the last months of the bundled Kraken data replayed at a visible pace, with the dashboard, until Ctrl-C; --backtest: the one-shot backtest demo')
    .option('--backtest', 'the one-shot demo instead: ingest the bundled data, backtest the quick-start book, write its HTML report')
    .option('--port <n>', 'live: the dashboard\'s port on 127.0.0.1 (taken: a free one, said so)', '8790')
    .option('--bars-per-second <n>', 'live: the replay pace', '4')
    .option('--from <date>', 'live: the first replayed bar (UTC date; used on the first start of a store)', '2022-10-01')
    .option('--logs', 'live: also print the runtime\'s info log lines')
    .option('--report <file>', '--backtest: where to write the HTML report', QUICKSTART_REPORT)
    .option('--persist', '--backtest: also store the run\'s events (as warden backtest --persist; slow on PGlite: ~245k events)')
    .option('--json', '--backtest: print the result as JSON')
    .action(async (opts: QuickstartOptions) => {
      if (opts.backtest) await quickstartCommand(opts, globals());
      else await liveCommand(opts, globals());
    });
}
