/**
 * The live quick start (`npm start` = `warden quickstart`): set the store up (./prepare.ts), then run
 * the paper runtime IN THIS PROCESS (src/runtime/main.ts runRuntime, unchanged) on the demo book
 * (config/demo.book.json) with the replay feed releasing the bundled hourly BTC/USD and ETH/USD
 * candles of the last months at a visible pace, and the API + dashboard on 127.0.0.1. While it
 * runs, the terminal gets the URL, the next commands, a status line now and then and the exact
 * approve command of each directive that starts waiting (./watch.ts, read from the API).
 * Ctrl-C/SIGTERM: the runtime's clean shutdown, exit 0. A second start resumes: the replay feed
 * starts after the stored candles, the book from its stream.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DEMO_BOOK_FILE, DEMO_BOOK_ID, DEMO_FILES, DEMO_REPLAY_TO, ROOT } from './demo.js';
import type { Prepared } from './prepare.js';

export interface LiveOptions {
  /** The profile as the user gave it (printed in the next commands), undefined = the environment only. */
  profile: string | undefined;
  port: number;
  bars_per_second: number;
  from: string;
  /** Keep the runtime's own info log lines (default: warnings and errors only, the terminal shows status lines). */
  logs: boolean;
  say: (line: string) => void;
}

/** The requested port if it is free on 127.0.0.1, else one the OS picks (said so). */
export async function choosePort(port: number, say: (l: string) => void): Promise<number> {
  const tryListen = (p: number) => new Promise<number | null>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen(p, '127.0.0.1', () => {
      const got = (s.address() as { port: number }).port;
      s.close(() => resolve(got));
    });
  });
  const got = await tryListen(port);
  if (got !== null) return got;
  const other = await tryListen(0);
  if (other === null) throw new Error('no free TCP port on 127.0.0.1');
  say(`port ${port} is taken on 127.0.0.1: using ${other} instead (choose one with --port)`);
  return other;
}

/** Prints what was set up; `store` is the store's description. */
export function sayPrepared(p: Prepared, store: string, say: (l: string) => void): void {
  say(`store ${store}: schema ${p.schema_version}${p.migrated.length > 0 ? ` (migrated now: ${p.migrated.join(', ')})` : ' (up to date)'}`);
  for (const s of p.ingested) say(`warm-up ${s.file}: ${s.symbol} ${s.accepted > 0 ? `${s.accepted} candles ingested` : 'nothing new (already in the store)'}`);
  say(p.book_events === 0 ? `book ${DEMO_BOOK_ID}: new (${relative(ROOT, DEMO_BOOK_FILE)})` : `book ${DEMO_BOOK_ID}: resuming after event ${p.book_events}`);
}

/** Runs the runtime until it stops; resolves with its exit code. */
export async function runLive(opts: LiveOptions, prepared: Prepared): Promise<number> {
  const port = await choosePort(opts.port, opts.say);
  const tmp = mkdtempSync(join(tmpdir(), 'warden-quickstart-'));
  const feedsFile = join(tmp, 'feeds.json');
  writeFileSync(feedsFile, JSON.stringify({
    feeds: [{ name: 'demo-replay', kind: 'replay', files: DEMO_FILES.map((f) => ({ file: f.file })), bars_per_second: opts.bars_per_second, from: opts.from, to: DEMO_REPLAY_TO }],
  }));
  const env: Record<string, string | undefined> = {
    ...process.env,
    WARDEN_BOOK: DEMO_BOOK_ID, WARDEN_BOOK_CONFIG: DEMO_BOOK_FILE, WARDEN_FEEDS: feedsFile, WARDEN_API_PORT: String(port),
    WARDEN_HTTP_PORT: '0', // /healthz on a free port: the profile's may be another runtime's
    // The monitors judge staleness by the wall clock: on 2022 candles replayed today they would only
    // say "stale" every pass. Off in the demo unless the environment sets it.
    WARDEN_MONITOR_INTERVAL_MS: process.env.WARDEN_MONITOR_INTERVAL_MS ?? '0',
    ...(opts.logs ? {} : { WARDEN_LOG_LEVEL: 'warn' }),
  };
  const { watchDemo } = await import('./watch.js');
  const watcher = watchDemo({ url: `http://127.0.0.1:${port}`, profile: opts.profile, bars_per_second: opts.bars_per_second, from: opts.from, resumed: prepared.book_events > 0, embedded: prepared.engine === 'pglite', say: opts.say });
  try {
    const { runRuntime } = await import('../runtime/main.js');
    return await runRuntime({ envFile: opts.profile, env, pretty: opts.logs ? undefined : false });
  } finally {
    watcher.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
