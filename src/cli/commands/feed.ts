/**
 * `warden feed <kind> ...`: runs market data feeds as a process beside the runtime (on
 * PostgreSQL; on PGlite the runtime owns the store directory, so configure WARDEN_FEEDS and let
 * the runtime run them). Each kind's options build the same spec as a feeds file entry
 * (src/feeds/config.ts), so `warden feed run --config feeds.json` and the options agree (a few
 * keys, e.g. `rate`, exist only in the file).
 * Runs until SIGINT/SIGTERM (a batch in flight finishes first) or, with --once / a replay, until
 * done. Exit: 0 done or stopped, 65 a feed's batch was refused by the gate, 78 a bad spec (an
 * option's value), 64 an unknown option (commander), 70 a feed that failed otherwise.
 */
import type { Command } from 'commander';
import { EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';

/** How often a running feed logs feed_status. */
export const FEED_STATUS_INTERVAL_MS = 30_000;

const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));

async function runSpecs(globals: GlobalOptions, raw: unknown[], where: string, json: boolean): Promise<void> {
  const { parseFeedSpec, loadFeedsFile } = await import('../../feeds/config.js');
  const specs = raw.length === 1 && typeof raw[0] === 'string' ? loadFeedsFile(raw[0], `--config ${raw[0]}`) : raw.map((r, i) => parseFeedSpec(r, raw.length > 1 ? `${where}[${i}]` : where));
  await withStore(globals, 'feed', async ({ db, log }) => {
    const { verifySchema } = await import('../../store/migrations.js');
    await verifySchema(db);
    const { buildFeed } = await import('../../feeds/config.js');
    const { hostFeeds } = await import('../../feeds/host.js');
    const feeds = [];
    for (const s of specs) feeds.push(await buildFeed(s, { db, log }));
    const host = hostFeeds(feeds, log, FEED_STATUS_INTERVAL_MS);
    // withStore closes the store on a signal; stop the feeds first so the batch in flight commits.
    const onSignal = () => void host.stop();
    process.prependOnceListener('SIGINT', onSignal);
    process.prependOnceListener('SIGTERM', onSignal);
    try {
      const { failed } = await host.done;
      const statuses = host.statuses();
      if (json) writeJson({ store: db.description, feeds: statuses });
      else {
        for (const s of statuses) {
          process.stdout.write(`${s.name} (${s.kind}): ${s.state}; ${s.batches} batches, ${s.candles_accepted} candles accepted, ${s.duplicates} duplicates, ${s.retries} retries` +
            `${s.ctt_ms === null ? '' : `; CTT ${new Date(s.ctt_ms).toISOString()}`}${s.last_error ? `; last error: ${s.last_error}` : ''}\n`);
        }
      }
      for (const f of failed) process.stderr.write(`warden: feed ${f.name} failed: ${f.error.message}\n`);
      if (failed.length > 0) process.exitCode = failed.some((f) => (f.error as { exitCode?: number }).exitCode === EXIT.data) ? EXIT.data : EXIT.internal;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

export function registerFeed(program: Command, globals: () => GlobalOptions): void {
  const feed = program.command('feed').description('run market data feeds into the store, through the ingestion gate (beside the runtime on PostgreSQL)');
  feed.command('run')
    .description('run the feeds of a feeds file (the same file as WARDEN_FEEDS)')
    .requiredOption('--config <file>', 'feeds file: {"feeds": [{"name", "kind", ...}]} (README: Feeds)')
    .option('--json', 'print the final statuses as JSON')
    .action(async (o: { config: string; json?: boolean }) => runSpecs(globals(), [o.config], '--config', o.json === true));
  feed.command('rest-ohlc')
    .description('poll Kraken REST OHLC for one pair (backfill in 720-candle pages, then every --poll-ms); the open candle is never taken')
    .requiredOption('--pair <pair>', 'Kraken pair, e.g. XBTUSD')
    .requiredOption('--interval <interval>', '1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, 15d')
    .option('--name <name>', 'feed name in logs', 'rest-ohlc')
    .option('--base-url <url>', 'Kraken REST base URL (default https://api.kraken.com)')
    .option('--since <date>', 'an empty series starts here (UTC date/time); default: the last 720 candles')
    .option('--poll-ms <ms>', 'poll period once caught up (default 30000)')
    .option('--timeout-ms <ms>', 'request timeout (default 10000)')
    .option('--once', 'stop once caught up')
    .option('--json', 'print the final status as JSON')
    .action(async (o: Record<string, string | boolean | undefined>) => runSpecs(globals(), [{
      kind: 'rest-ohlc', name: o.name, pair: o.pair, interval: o.interval, base_url: o.baseUrl, since: o.since,
      poll_ms: int(o.pollMs as string | undefined), timeout_ms: int(o.timeoutMs as string | undefined), once: o.once === true,
    }], 'warden feed rest-ohlc', o.json === true));
  feed.command('ws-trades')
    .description('subscribe to Kraken WS v2 trades for one pair -> 1-minute candles (REST catch-up after every reconnect)')
    .requiredOption('--pair <pair>', 'Kraken pair, e.g. XBTUSD')
    .option('--name <name>', 'feed name in logs', 'ws-trades')
    .option('--ws-url <url>', 'default wss://ws.kraken.com/v2')
    .option('--rest-base-url <url>', 'default https://api.kraken.com')
    .option('--since <date>', 'an empty series starts here (REST catch-up); default: the next whole minute')
    .option('--settle-ms <ms>', 'a minute closes this long after its end with no later trade (default 2000)')
    .option('--json', 'print the final status as JSON')
    .action(async (o: Record<string, string | boolean | undefined>) => runSpecs(globals(), [{
      kind: 'ws-trades', name: o.name, pair: o.pair, ws_url: o.wsUrl, rest_base_url: o.restBaseUrl, since: o.since, settle_ms: int(o.settleMs as string | undefined),
    }], 'warden feed ws-trades', o.json === true));
  feed.command('file-drop')
    .description('ingest files dropped into a folder, then move them to done/ or rejected/ with a report')
    .requiredOption('--dir <dir>', 'the folder to watch')
    .option('--name <name>', 'feed name in logs', 'file-drop')
    .option('--symbol <pair>', 'for files whose name does not say (as warden ingest --symbol)')
    .option('--interval <interval>', 'for files whose name does not say (as warden ingest --interval)')
    .option('--poll-ms <ms>', 'how often the folder is read (default 2000)')
    .option('--settle-ms <ms>', 'a file is taken once unchanged this long (default 2000)')
    .option('--once', 'take the files there now, then stop')
    .option('--json', 'print the final status as JSON')
    .action(async (o: Record<string, string | boolean | undefined>) => runSpecs(globals(), [{
      kind: 'file-drop', name: o.name, dir: o.dir, symbol: o.symbol, interval: o.interval, poll_ms: int(o.pollMs as string | undefined),
      settle_ms: int(o.settleMs as string | undefined), once: o.once === true,
    }], 'warden feed file-drop', o.json === true));
  feed.command('replay')
    .description('release the candles of Kraken CSV files at a pace (bars per second) through the gate, as a live feed would')
    .argument('<files...>', 'Kraken OHLCVT files (PAIR_MINUTES.csv), merged by time')
    .requiredOption('--bars-per-second <n>', 'pace: bars released per second (all symbols of a bar together), up to 1000')
    .option('--name <name>', 'feed name in logs', 'replay')
    .option('--from <date>', 'first bar (UTC date/time)')
    .option('--to <date>', 'end (exclusive)')
    .option('--json', 'print the final status as JSON')
    .action(async (files: string[], o: Record<string, string | boolean | undefined>) => runSpecs(globals(), [{
      kind: 'replay', name: o.name, files: files.map((file) => ({ file })), bars_per_second: Number(o.barsPerSecond), from: o.from, to: o.to,
    }], 'warden feed replay', o.json === true));
}
