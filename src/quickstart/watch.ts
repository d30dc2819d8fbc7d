/**
 * The live quick start's terminal: reads the runtime's own read-only API (never the store) and
 * prints, once the API answers, the dashboard URL and the next commands; then a status line every
 * DEMO_STATUS_EVERY_MS (the book's market time, events, equity, directives waiting) and, every
 * DEMO_ANNOUNCE_EVERY_MS at most, the exact command that approves the newest directive waiting. Best effort: a
 * failed poll is retried at the next one; it never stops the runtime.
 */
import { DEMO_ANNOUNCE_EVERY_MS, DEMO_BOOK_ID, DEMO_POLL_MS, DEMO_REPLAY_TO, DEMO_STATUS_EVERY_MS } from './demo.js';

export interface WatchOptions {
  url: string;
  profile: string | undefined;
  bars_per_second: number;
  from: string;
  resumed: boolean;
  /** PGlite: the running runtime owns the store directory (said in the banner). */
  embedded: boolean;
  say: (line: string) => void;
}

const STREAM = `book:${DEMO_BOOK_ID}`;
/** Limit: directive ids remembered as announced. */
export const ANNOUNCED_MAX = 10_000;

interface BookRow { stream: string; head_seq: number; last_mark: { time_ms: number; equity: string | null; tier: string | null } | null }
interface DirectiveRow { stream: string; directive_id: string; type: string | null; status: string; scope: { symbols?: string[] } | null; objective: string | null }

/** `node dist/src/cli/index.js [--profile P] ARGS`, as the user types it. */
export function cliCommand(profile: string | undefined, args: string): string {
  return `node dist/src/cli/index.js${profile === undefined ? '' : ` --profile ${profile}`} ${args}`;
}

async function getJson<T>(url: string): Promise<T | null> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return r.ok ? ((await r.json()) as T) : null;
  } catch {
    return null;
  }
}

function utc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function money(s: string | null): string {
  if (s === null) return '?';
  const [i, f = ''] = s.split('.');
  return `${i}.${(f + '00').slice(0, 2)}`;
}

export function watchDemo(opts: WatchOptions): { stop(): void } {
  let stopped = false;
  const o = { ...opts, say: (line: string) => (stopped ? undefined : opts.say(line)) }; // a poll in flight at stop prints nothing
  let ready = false;
  let lastStatus = 0;
  let lastAnnounce = 0;
  let lastAnnounced: string | null = null;
  let ended = false;
  const announced = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const banner = () => {
    const c = (a: string) => `  ${cliCommand(o.profile, a)}`;
    o.say([
      '',
      `Warden is running book ${DEMO_BOOK_ID} on paper (it never places a real order)${o.resumed ? ', resumed where it stopped' : ''}.`,
      `  dashboard: ${o.url}/`,
      `  market:    real Kraken hourly BTC/USD and ETH/USD candles from ${o.from}, replayed at ${o.bars_per_second} bars/s`,
      `  policy:    an entry above 2000 USD of notional waits for a human, at most 240 bars (${Math.round(240 / o.bars_per_second)} s at this pace; config/demo.book.json)`,
      'Try, in another terminal:',
      c(`directives list --book ${DEMO_BOOK_ID}`),
      c(`directives approve D<n> --book ${DEMO_BOOK_ID} --as you`),
      c(`book status --book ${DEMO_BOOK_ID}`),
      'Ctrl-C stops it cleanly; `npm start` again resumes where it stopped. After stopping, prove the run by replaying it:',
      c(`replay verify --book ${DEMO_BOOK_ID}`),
      ...(o.embedded
        ? ['  (on the embedded store the running runtime owns the directory: `replay verify` and `serve` open it after Ctrl-C;',
          '   `directives` and `book` commands reach the running runtime through its operator channel)']
        : []),
      '',
    ].join('\n'));
  };

  const poll = async () => {
    const books = await getJson<{ books: BookRow[] }>(`${o.url}/api/books`);
    const book = books?.books.find((b) => b.stream === STREAM) ?? null;
    if (book === null) return;
    if (!ready) {
      ready = true;
      banner();
    }
    const waiting = (await getJson<{ directives: DirectiveRow[] }>(`${o.url}/api/books/${encodeURIComponent(STREAM)}/directives?status=proposed`))?.directives ?? [];
    const fresh = waiting.filter((d) => !announced.has(d.directive_id));
    const now = Date.now();
    if (fresh.length > 0 && fresh[0]!.directive_id !== lastAnnounced && now - lastAnnounce >= DEMO_ANNOUNCE_EVERY_MS) {
      lastAnnounce = now;
      for (const d of waiting) announced.add(d.directive_id);
      if (announced.size > ANNOUNCED_MAX) announced.clear(); // bounded; at worst a directive is announced twice
      const d = fresh[0]!; // the newest
      lastAnnounced = d.directive_id;
      const what = [d.type, d.scope?.symbols?.join(',')].filter((x) => x).join(' ');
      const more = waiting.length > 1 ? `; ${waiting.length - 1} more waiting` : '';
      o.say(`${d.directive_id} waits for your approval (${what}${more}): ${cliCommand(o.profile, `directives approve ${d.directive_id} --book ${DEMO_BOOK_ID} --as you`)}`);
    }
    if (!ended && book.last_mark !== null && book.last_mark.time_ms >= Date.parse(DEMO_REPLAY_TO)) {
      ended = true;
      o.say(`the replay reached the end of the bundled data (${DEMO_REPLAY_TO}): the book waits for candles that will not come. Ctrl-C to stop, then replay verify.`);
    }
    if (now - lastStatus >= DEMO_STATUS_EVERY_MS && !ended) {
      lastStatus = now;
      const m = book.last_mark;
      o.say(`book ${DEMO_BOOK_ID}: ${m ? `at ${utc(m.time_ms)}, equity ${money(m.equity)} USD, tier ${m.tier ?? '?'}` : 'warming up'}, ${book.head_seq} events, ${waiting.length} directive(s) waiting`);
    }
  };

  const loop = () => {
    if (stopped) return;
    void poll().finally(() => {
      if (!stopped) timer = setTimeout(loop, DEMO_POLL_MS);
    });
  };
  timer = setTimeout(loop, DEMO_POLL_MS);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
