/**
 * `warden replay manifest [--book ID] [--book-config FILE] [--out FILE] [--compare FILE] [--json]`
 *
 * One streaming pass over a book: per evaluation hour its inputs hash, events hash, state hash and
 * chain head (src/replay/hours.ts), and an RFC 6962 Merkle root over the hours. Two stores with the
 * same root hold the same history; `--compare OTHER.json` (a manifest written by --out, e.g. on
 * another machine) names the first hour that differs and which hashes differ there (exit 65).
 * --out writes the whole manifest as JSON, through a temporary file renamed at the end: a failed
 * run leaves no half-written manifest.
 */
import type { Command } from 'commander';
import type { AtomicWriter } from '../../config/files.js';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';
import { kernelChoice, kernelOrExplain, oneBook, progressBar, quarantining, replayStore, streamOfBook } from './replay-shared.js';
import type { HourEntry } from '../../replay/hours.js';

interface Opts {
  book?: string;
  bookConfig?: string;
  out?: string;
  compare?: string;
  json?: boolean;
}

/** Limit: a manifest file read by --compare (~400 bytes an hour: 30 years of hours fit). */
export const MANIFEST_BYTES_MAX = 256 * 1024 ** 2;

/** The hours of a manifest file written by --out; errors name the file and what was expected. */
function readManifest(path: string, format: string, readSmallFile: typeof import('../../config/files.js').readSmallFile, parseJsonText: typeof import('../../config/json-text.js').parseJsonText): HourEntry[] {
  let m: { format?: unknown; hours?: unknown };
  const text = readSmallFile(path, MANIFEST_BYTES_MAX, `--compare ${path}`, EXIT.usage);
  try {
    m = parseJsonText(text, `--compare ${path}`) as typeof m;
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.usage);
  }
  if (m === null || typeof m !== 'object' || m.format !== format || !Array.isArray(m.hours)) throw new CliError(`--compare ${path}: not a ${format} manifest (written by \`warden replay manifest --out\`)`, EXIT.usage);
  return m.hours as HourEntry[];
}

export function registerReplayManifest(replay: Command, globals: () => GlobalOptions): void {
  replay
    .command('manifest')
    .description('per evaluation hour: inputs, events and state hashes and the chain head, with a Merkle root over the hours')
    .option('--book <id>', 'the book (default: the only book in the store), or a whole stream name like backtest:<book>:<run>')
    .option('--book-config <file>', "replay with this book config instead of the one the book recorded (its hash must match); default WARDEN_BOOK_CONFIG if set")
    .option('--out <file>', 'write the whole manifest (every hour) as JSON')
    .option('--compare <file>', 'compare hour by hour with a manifest written by --out; exit 65 at the first hour that differs')
    .option('--json', 'print the summary as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<Opts>();
      if (opts.book !== undefined) streamOfBook(opts.book); // 64 before the store opens
      const { checkOutputPath, openAtomicWriter, readSmallFile } = await import('../../config/files.js'); // not at start-up: `--help` loads no more than it needs
      if (opts.out !== undefined) checkOutputPath(opts.out, '--out'); // before the store is opened: no work for nothing
      const otherFirst = opts.compare !== undefined ? readManifest(opts.compare, (await import('../../replay/hours.js')).MANIFEST_FORMAT, readSmallFile, (await import('../../config/json-text.js')).parseJsonText) : null;
      await withStore(globals(), 'replay manifest', async ({ db, config }) => {
        const { buildManifest, compareManifests, MANIFEST_FORMAT } = await import('../../replay/hours.js');
        const { storeInputs } = await import('../../replay/inputs.js');
        const other = otherFirst;
        const store = await replayStore(db);
        const stream = await oneBook(store, db, opts.book);
        const k = await kernelOrExplain(await kernelChoice(db, store, opts.bookConfig, config.WARDEN_BOOK_CONFIG), stream);
        const out: AtomicWriter | null = opts.out !== undefined ? openAtomicWriter(opts.out, '--out') : null;
        const bar = await progressBar(!opts.json);
        const head = (await store.head(stream))?.seq ?? 0; // the pass ends here: a live runtime keeps appending
        bar?.start(head, 0, { stream });
        let index = 0;
        let first = true;
        let difference: ReturnType<typeof compareManifests> = null;
        try {
          out?.write(`{"format":${JSON.stringify(MANIFEST_FORMAT)},"store":${JSON.stringify(db.description)},"stream":${JSON.stringify(stream)},"kernel":${JSON.stringify(k.name)},"hours":[\n`);
          const r = await quarantining(store, stream, 'replay manifest', () =>
            buildManifest(store, stream, k.kernel, k.name, storeInputs(db), {
              onProgress: (n) => bar?.update(n),
              toSeq: head,
              onHour: (h) => {
                if (out !== null) {
                  out.write(`${first ? '' : ',\n'}${JSON.stringify(h)}`);
                  first = false;
                }
                if (other !== null && difference === null) {
                  const d = compareManifests([h], other[index] ? [other[index]!] : []);
                  if (d !== null) difference = { ...d, index };
                }
                index++;
              },
            }),
          );
          if (other !== null && difference === null && other.length > index) {
            difference = { index, hour: other[index]!.hour, fields: ['(hour missing)'], left: null, right: other[index]! };
          }
          if (out !== null) {
            out.write(`\n],"summary":${JSON.stringify(r)}}\n`);
            out.commit();
          }
          bar?.stop();
          const d = difference as ReturnType<typeof compareManifests>;
          if (opts.json) writeJson({ store: db.description, ...r, out: opts.out ?? null, compared_with: opts.compare ?? null, identical: d === null, first_difference: d });
          else {
            process.stdout.write(`${stream}: ${r.hours} hour(s), ${r.events} events, head seq ${r.head_seq}\nroot ${r.root}\nchain head ${r.chain_head}\nstate hash ${r.state_hash}\n`);
            if (opts.out) process.stdout.write(`manifest written to ${opts.out}\n`);
          }
          if (d !== null) {
            throw new CliError(
              `${stream} differs from ${opts.compare} at hour #${d.index} (${d.hour ?? 'before the first tick'}): ${d.fields.join(', ')}` +
                (d.left && d.right ? ` (this store seq ${d.left.seq_from}..${d.left.seq_to}, the other ${d.right.seq_from}..${d.right.seq_to})` : ''),
              EXIT.data,
            );
          }
          if (opts.compare && !opts.json) process.stdout.write(`identical to ${opts.compare}, hour by hour\n`);
        } finally {
          bar?.stop();
          out?.abort(); // a no-op after the commit; a failed run leaves nothing
        }
      });
    });
}
