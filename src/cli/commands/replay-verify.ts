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
import { kernelChoice, progressBar, quarantining, replayStore, streamsOf } from './replay-shared.js';

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
      await withStore(globals(), 'replay verify', async ({ db, config }) => {
        const { replayVerify, reexecute, storeInputs } = await import('../../replay/index.js');
        const store = await replayStore(db);
        const streams = await streamsOf(store, db, opts.book);
        const kernels = await kernelChoice(db, store, opts.bookConfig, config.WARDEN_BOOK_CONFIG);
        const inputs = storeInputs(db);
        const bar = await progressBar(!opts.json);
        const results = [];
        for (const s of streams) {
          const k = await kernels.forStream(s.stream);
          const r = await quarantining(store, s.stream, 'replay verify', async () => {
            bar?.start(s.head_seq, 0, { stream: `${s.stream} rebuild` });
            // Both passes end at the head read before them: a live runtime (PostgreSQL) keeps appending.
            const rebuilt = await replayVerify(store, s.stream, (n) => bar?.update(n), k ?? undefined, { fromSnapshot, toSeq: s.head_seq });
            bar?.stop();
            let reexecuted = null;
            if (k && !opts.rebuildOnly) {
              const from = rebuilt.from_seq > 0 ? await store.latestSnapshot(s.stream, rebuilt.from_seq + 1) : null;
              bar?.start(s.head_seq, rebuilt.from_seq, { stream: `${s.stream} re-execute` });
              reexecuted = await reexecute(store, s.stream, k.kernel, k.name, inputs, {
                from: from ? { seq: from.seq, hash: from.head_hash, state: k.kernel.codec.decode(from.state) } : undefined,
                onProgress: (n) => bar?.update(n),
                toSeq: s.head_seq,
              });
              bar?.stop();
              if (reexecuted.state_hash !== rebuilt.state_hash) {
                throw new CliError(`${s.stream}: re-execution ended at state ${reexecuted.state_hash}, the rebuild at ${rebuilt.state_hash}`, EXIT.data);
              }
            }
            return { ...rebuilt, reexecuted: reexecuted ? { steps: reexecuted.steps, steps_checked: reexecuted.steps_checked } : null };
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
