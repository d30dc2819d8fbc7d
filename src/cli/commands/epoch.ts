/**
 * `warden epoch show|advance`: thin adapters over src/governance/epochs.ts (infra/TRUTH_EPOCHS.md).
 *   show     the book's truth epoch TE, its mode (off / manual / auto), status and CTT per series.
 *   advance  --as NAME [--to T] [--override --justification TEXT]: runs the truth-epoch gate on what
 *            the store says now; refused with the failed checks (exit 1, nothing recorded), else an
 *            inbox command the running runtime applies as one step (epoch.advanced), reached as
 *            `warden book pause` is (the runtime's operator channel on PGlite, the inbox + NOTIFY on
 *            PostgreSQL). Without --to: the latest bar close whose data is complete.
 * The book's config is the one it recorded at its first tick, else WARDEN_BOOK_CONFIG.
 */
import type { Command } from 'commander';
import { REASON_CHARS_MAX } from '../../core/book/limits.js';
import { WAIT_MS_DEFAULT, WAIT_MS_MAX } from '../../governance/limits.js';
import { CliError, EXIT, writeJson, type GlobalOptions } from '../context.js';
import { bookId } from './book.js';

/** --to: an ISO UTC time (2023-01-02T05:00:00Z) or epoch ms. */
async function timeOption(v: string): Promise<number> {
  if (/^[0-9]{1,15}$/.test(v)) return Number(v);
  const { parseIsoUtcMs } = await import('../../core/market/time.js');
  const ms = parseIsoUtcMs(v);
  if (ms === null) throw new CliError(`--to ${JSON.stringify(v)}: expected an ISO UTC time like 2023-01-02T05:00:00Z or epoch ms`, EXIT.usage);
  return ms;
}

async function fileConfig(globals: () => GlobalOptions): Promise<(() => unknown) | null> {
  const path = (await import('../../runtime/config/index.js')).loadConfig(globals().envFile, process.env, []).WARDEN_BOOK_CONFIG;
  if (path === undefined) return null;
  const { raw } = await (await import('../../config/book-file.js')).loadBookFile(path, `WARDEN_BOOK_CONFIG=${path}`);
  return () => raw;
}

export function registerEpoch(program: Command, globals: () => GlobalOptions): void {
  const epoch = program.command('epoch').description('truth epochs of a book: show TE, mode and CTT; advance TE through its gate (or an emergency override)');

  epoch
    .command('show')
    .description('the truth epoch TE, its mode (off, manual, auto), the book status and CTT per series')
    .option('--book <id>', 'the book (default: WARDEN_BOOK from the profile)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { book?: string; json?: boolean }) => {
      const id = await bookId(globals, opts.book);
      const cfg = await fileConfig(globals);
      const { withOperator } = await import('../operator.js');
      await withOperator(globals(), 'epoch show', async (port) => {
        const { epochBook, epochMode, cttOf, formatView } = await import('../../governance/epochs.js');
        const view = await port.epochView(`book:${id}`);
        let book;
        try {
          book = view.config === null && cfg === null ? null : epochBook(view, id, cfg);
        } catch {
          book = null; // show what the log says even without a matching config
        }
        if (opts.json) {
          return writeJson({
            book: id, stream: view.stream, exists: view.exists, mode: epochMode(book, view), truth_epoch_ms: view.truth_epoch_ms,
            truth_epoch: view.truth_epoch_ms === null ? null : new Date(view.truth_epoch_ms).toISOString(), epoch_auto: view.epoch_auto,
            status: view.status, quarantined: view.quarantined, last_advance: view.last_advance, lateness_ms: book?.lateness_ms ?? null,
            ctt: book === null ? null : cttOf(book, view.series), series: view.series,
          });
        }
        process.stdout.write(formatView(id, view, book));
      });
    });

  epoch
    .command('advance')
    .description('advance the truth epoch through its gate (data complete, no critical condition, book ACTIVE); recorded in the inbox, applied by the runtime')
    .requiredOption('--as <name>', 'who you are: 1-64 characters a-z 0-9 _ . - (recorded as operator:NAME)')
    .option('--book <id>', 'the book (default: WARDEN_BOOK from the profile)')
    .option('--to <time>', 'the new TE, a bar close (ISO UTC or epoch ms); default: the latest bar close with complete data')
    .option('--override', 'emergency override: advance even though the gate fails (needs --justification)')
    .option('--justification <text>', `why the override is safe, kept in the log with the operator (max ${REASON_CHARS_MAX} characters)`)
    .option('--wait-ms <ms>', "how long to wait for the running runtime's answer (0: do not wait)", String(WAIT_MS_DEFAULT))
    .option('--json', 'print the result as JSON')
    .action(async (opts: { as: string; book?: string; to?: string; override?: boolean; justification?: string; waitMs: string; json?: boolean }) => {
      const { operatorIssuer, checkText } = await import('../../governance/commands.js');
      const id = await bookId(globals, opts.book);
      const issued_by = operatorIssuer(opts.as);
      const to_ms = opts.to === undefined ? null : await timeOption(opts.to);
      if (opts.override && opts.justification === undefined) throw new CliError('--override needs --justification "why" (recorded with the operator)', EXIT.usage);
      if (!opts.override && opts.justification !== undefined) throw new CliError('--justification goes with --override', EXIT.usage);
      if (opts.justification !== undefined) checkText('--justification', opts.justification, true);
      const wait = /^[0-9]{1,9}$/.test(opts.waitMs) ? Number(opts.waitMs) : NaN;
      if (!(wait >= 0 && wait <= WAIT_MS_MAX)) throw new CliError(`--wait-ms ${JSON.stringify(opts.waitMs)}: expected an integer 0..${WAIT_MS_MAX}`, EXIT.usage);
      const cfg = await fileConfig(globals);
      const { withOperator } = await import('../operator.js');
      await withOperator(globals(), 'epoch advance', async (port, log) => {
        const { advanceEpoch, formatAdvance } = await import('../../governance/epochs.js');
        const r = await advanceEpoch(port, { id, issued_by, to_ms, override: opts.override === true, justification: opts.justification ?? null, wait_ms: wait }, cfg);
        log.info({ event: 'inbox_command_recorded', inbox_id: r.inbox_id, stream: r.stream, command: r.command, issued_by, via: port.via, to_ms: r.to_ms, override: r.override });
        if (opts.json) writeJson({ ...r, answered: r.outcome !== null, via: port.via });
        else process.stdout.write(formatAdvance(r));
        if (r.outcome?.answer === 'rejected') process.exitCode = EXIT.failure;
      });
    });
}
