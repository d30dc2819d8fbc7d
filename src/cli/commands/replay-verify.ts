/**
 * `warden replay verify [--book ID] [--book-config FILE] [--from-snapshot [SEQ]] [--rebuild-only] [--json]`
 *
 * For every stream (or one book): rebuild — every hash link, every event folded, every snapshot
 * compared — then, for book streams whose kernel is known, re-execute — each step's recorded input
 * through the current kernel, every produced event compared with the stored one. Exit 0 prints
 * each chain head and state hash; a divergence exits 65 naming stream, seq, type and field path,
 * and quarantines the stream.
 */
import type { Command } from 'commander';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';
import { kernelChoice, progressBar, quarantining, replayStore, streamOfBook, streamsOf } from './replay-shared.js';

interface Opts {
  book?: string;
  bookConfig?: string;
  fromSnapshot?: string | true;
  rebuildOnly?: boolean;
  json?: boolean;
}

function fromSnapshotOf(v: string | true | undefined): 'latest' | number | undefined {
  if (v === undefined) return undefined;
  if (v === true) return 'latest';
  if (!/^\d{1,15}$/.test(v)) throw new CliError(`--from-snapshot ${JSON.stringify(v)}: expected a seq (the newest snapshot at or before it is used), or nothing for the latest`, EXIT.usage);
  return Number(v);
}

export function registerReplayVerify(replay: Command, globals: () => GlobalOptions): void {
  replay
    .command('verify')
    .description('rebuild (chain, fold, snapshots) and re-execute (inputs through the current kernel) every stream; exit 65 at the first divergence')
    .option('--book <id>', 'only the stream book:<id> (or a whole stream name like backtest:<book>:<run>)')
    .option('--book-config <file>', "replay book:<its book_id> with this config instead of the one it recorded (its hash must match); default WARDEN_BOOK_CONFIG if set")
    .option('--from-snapshot [seq]', 'start from the latest snapshot (or the newest at or before seq) instead of genesis: faster, checks only what follows it')
    .option('--rebuild-only', 'skip re-execution (chain, fold and snapshots only)')
    .option('--json', 'print the result as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<Opts>();
      const fromSnapshot = fromSnapshotOf(opts.fromSnapshot);
      if (opts.book !== undefined) streamOfBook(opts.book); // 64 before the store opens
      await withStore(globals(), 'replay verify', async ({ db, config }) => {
        const { replayVerify, reexecute, storeInputs, startPoint, SnapshotChecker } = await import('../../replay/index.js');
        const store = await replayStore(db);
        const streams = await streamsOf(store, db, opts.book);
        const kernels = await kernelChoice(db, store, opts.bookConfig, config.WARDEN_BOOK_CONFIG);
        const inputs = storeInputs(db);
        const bar = await progressBar(!opts.json);
        const results = [];
        for (const s of streams) {
          const k = await kernels.forStream(s.stream);
          const r = await quarantining(store, s.stream, 'replay verify', async () => {
            // Every pass ends at the head read before it: a live runtime (PostgreSQL) keeps appending.
            if (k === null || opts.rebuildOnly) {
              bar?.start(s.head_seq, 0, { stream: `${s.stream} rebuild` });
              const rebuilt = await replayVerify(store, s.stream, (n) => bar?.update(n), k ?? undefined, { fromSnapshot, toSeq: s.head_seq });
              return { ...rebuilt, reexecuted: null };
            }
            // ONE pass reads each event once: the chain checked, every step re-executed, every snapshot compared at its step's end
            // (before it, choosing the kernel read the one book.started event; test/backtest-replay.e2e.test.ts traces both).
            const start = await startPoint(store, s.stream, k, fromSnapshot, s.head_seq);
            const checker = new SnapshotChecker(s.stream, start.snapshots, k);
            bar?.start(s.head_seq, start.from?.seq ?? 0, { stream: `${s.stream} verify` });
            const rx = await reexecute(store, s.stream, k.kernel, k.name, inputs, {
              from: start.from ? { seq: start.from.seq, hash: start.from.hash, state: start.from.state! } : undefined,
              onProgress: (n) => bar?.update(n),
              toSeq: s.head_seq,
              onStep: (step) => checker.at(step.seq_to, step.events[step.events.length - 1]!.hash, step.state),
            });
            checker.end(rx.head_seq);
            return {
              stream: s.stream, events: rx.events, head_seq: rx.head_seq, chain_head: rx.chain_head, state_hash: rx.state_hash, kernel: k.name,
              snapshots_checked: checker.checked, from_seq: start.from?.seq ?? 0, reexecuted: { steps: rx.steps, steps_checked: rx.steps_checked },
            };
          }).finally(() => bar?.stop());
          results.push(r);
        }
        if (opts.json) return writeJson({ store: db.description, identical: true, streams: results });
        if (results.length === 0) process.stdout.write(`${db.description}: no streams yet; nothing to verify\n`);
        for (const r of results) {
          const from = r.from_seq > 0 ? ` from snapshot seq ${r.from_seq}` : '';
          const re = r.reexecuted ? `, ${r.reexecuted.steps_checked} steps re-executed identically` : r.kernel ? ' (not re-executed)' : '';
          process.stdout.write(
            `${r.stream}: ${r.events} events verified${from}, chain head ${r.chain_head}, ` +
              `state hash ${r.state_hash ?? '(no kernel for this stream: chain only)'}, ${r.snapshots_checked} snapshot(s) match${re}\n`,
          );
        }
      });
    });
}
