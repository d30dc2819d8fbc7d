/**
 * `warden replay verify [--book ID] [--json]`: rebuilds every stream (or one book) from the log,
 * checking the hash chain, folding the events and comparing each snapshot. Exit 0 when all is
 * identical, printing each chain head and state hash; exit 65 with the first divergence (stream,
 * seq, what differs) otherwise. A progress bar on stderr for long streams when it is a terminal.
 */
import type { Command } from 'commander';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';

export function registerReplay(program: Command, globals: () => GlobalOptions): void {
  const replay = program.command('replay').description('rebuild state from the event log and prove it identical');
  replay
    .command('verify')
    .description('check every hash link, fold every event and compare every snapshot; exit 65 at the first divergence')
    .option('--book <id>', 'only the stream book:<id>')
    .option('--book-config <file>', "a trading book's config (BOOK.json) to fold book:<its book_id> with; default WARDEN_BOOK_CONFIG if set")
    .option('--json', 'print the result as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ book?: string; bookConfig?: string; json?: boolean }>();
      await withStore(globals(), 'replay verify', async ({ db, config }) => {
        const { verifySchema } = await import('../../store/migrations.js');
        await verifySchema(db);
        const { EventStore } = await import('../../store/event-store.js');
        const { replayVerify } = await import('../../replay/verify.js');
        const store = new EventStore(db);
        const all = await store.streams();
        const streams = opts.book ? all.filter((s) => s.stream === `book:${opts.book}`) : all;
        if (opts.book && streams.length === 0) throw new CliError(`no stream book:${opts.book} in ${db.description}`, EXIT.failure);
        const trading = await tradingKernelFor(opts.bookConfig ?? config.WARDEN_BOOK_CONFIG, opts.bookConfig ? '--book-config' : 'WARDEN_BOOK_CONFIG');
        const bar = await progressBar(!opts.json);
        const results = [];
        for (const s of streams) {
          bar?.start(s.head_seq, 0, { stream: s.stream });
          const override = trading && s.stream === `book:${trading.book_id}` ? trading.kernel : undefined;
          results.push(await replayVerify(store, s.stream, (n) => bar?.update(n), override));
          bar?.stop();
        }
        if (opts.json) return writeJson({ store: db.description, identical: true, streams: results });
        if (results.length === 0) process.stdout.write(`${db.description}: no streams yet; nothing to verify\n`);
        for (const r of results) {
          process.stdout.write(
            `${r.stream}: ${r.events} events verified, chain head ${r.chain_head}, ` +
              `state hash ${r.state_hash ?? '(no kernel for this stream: chain only)'}, ${r.snapshots_checked} snapshot(s) match\n`,
          );
        }
      });
    });
}

/**
 * The trading kernel for one book config, with a guard: folding must meet a book.started whose
 * config_hash is this config's, else the config is not the one the book runs (a usage error).
 */
async function tradingKernelFor(path: string | undefined, what: string) {
  if (!path) return null;
  const { readFileSync } = await import('node:fs');
  let bookId: string;
  try {
    bookId = String((JSON.parse(readFileSync(path, 'utf8')) as { book_id?: unknown }).book_id);
  } catch (e) {
    throw new CliError(`${what} ${path}: cannot read it as JSON (${(e as Error).message})`, EXIT.config);
  }
  const { tradingKernelFrom } = await import('../../runtime/book-config.js');
  const { ReplayKernelError } = await import('../../replay/verify.js');
  const t = await tradingKernelFrom(path, bookId, `${what} ${path}`);
  const evolve = t.kernel.decider.evolve;
  const kernel = {
    ...t.kernel,
    decider: {
      ...t.kernel.decider,
      evolve: (s: unknown, e: Parameters<typeof evolve>[1]) => {
        const hash = e.type === 'book.started' ? (e.payload as { config_hash?: unknown }).config_hash : undefined;
        if (hash !== undefined && hash !== t.config_hash) {
          throw new ReplayKernelError(`book:${bookId}`, 0, `book:${bookId} was started with config ${String(hash)}, but ${what} ${path} is config ${t.config_hash}`);
        }
        return evolve(s, e);
      },
    },
  };
  return { book_id: bookId, kernel: { name: 'trading', kernel } };
}

async function progressBar(enabled: boolean) {
  if (!enabled || !process.stderr.isTTY) return null;
  const { SingleBar, Presets } = await import('cli-progress');
  return new SingleBar({ stream: process.stderr, format: '{stream} [{bar}] {value}/{total} events' }, Presets.shades_classic);
}
