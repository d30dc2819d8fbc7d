/**
 * `warden book pause|resume [--book ID] [--reason TEXT]`: records an operator command in the
 * book's append-only inbox. The running paper runtime applies it on its next poll as one step
 * (operator.command_applied, or operator.command_rejected with why); nothing here changes the
 * book directly. The book is --book, else WARDEN_BOOK. With the embedded store (PGlite) the
 * runtime holds the store, so this exits 75 while it runs: use PostgreSQL to operate a live book.
 *
 * `warden book status [--book ID] [--json]`: the book's stream head and lease, and whether it is
 * quarantined (what broke, where, who found it, when). `warden book release [--book ID] --reason
 * TEXT [--json]`: the operator act that lifts a quarantine (stream.quarantine_released in
 * audit:quarantine; the book's own stream is never written); exit 1 naming the book when it is
 * not quarantined. See src/replay/quarantine.ts.
 */
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { BOOK_ID_RE, REASON_CHARS_MAX } from '../../core/book/limits.js';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';

function issuer(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return `cli:${user}@${hostname()}`;
}

/** The book from --book, else WARDEN_BOOK; usage error (64) when neither names a valid id. */
async function bookId(globals: () => GlobalOptions, book: string | undefined): Promise<string> {
  const id = book ?? (await import('../../runtime/config/index.js')).loadConfig(globals().envFile, process.env, []).WARDEN_BOOK;
  if (id === undefined) throw new CliError('no book: pass --book <id> or set WARDEN_BOOK', EXIT.usage);
  if (!BOOK_ID_RE.test(id)) throw new CliError(`--book ${JSON.stringify(id)}: expected lower-case letters, digits, _ . - (1-64 characters)`, EXIT.usage);
  return id;
}

export function registerBook(program: Command, globals: () => GlobalOptions): void {
  const book = program.command('book').description('operator commands for a book: inbox commands applied by the running runtime, status, quarantine release');
  for (const [verb, command, what] of [['pause', 'book.pause', 'pause the book (status PAUSED)'], ['resume', 'book.resume', 'resume the book (status ACTIVE)']] as const) {
    book
      .command(verb)
      .description(`${what}: recorded in the inbox; the runtime applies it on its next poll`)
      .option('--book <id>', 'the book (default: WARDEN_BOOK from the profile)')
      .option('--reason <text>', `why, kept in the event log (max ${REASON_CHARS_MAX} characters)`)
      .option('--json', 'print the result as JSON')
      .action(async (opts: { book?: string; reason?: string; json?: boolean }) => {
        const id = await bookId(globals, opts.book);
        const reason = opts.reason ?? '';
        if (reason.length > REASON_CHARS_MAX) throw new CliError(`--reason is ${reason.length} characters (max ${REASON_CHARS_MAX})`, EXIT.usage);
        const stream = `book:${id}`;
        await withStore(globals(), `book ${verb}`, async ({ db, log }) => {
          const { EventStore } = await import('../../store/event-store.js');
          const issued_by = issuer();
          const inboxId = await new EventStore(db).inboxAppend(stream, command, { reason }, issued_by);
          log.info({ event: 'inbox_command_recorded', inbox_id: inboxId, stream, command, issued_by });
          if (opts.json) return writeJson({ inbox_id: inboxId, stream, command, reason, issued_by });
          process.stdout.write(`inbox ${inboxId}: ${command} for ${stream} recorded; the running runtime applies it on its next poll (see operator.command_applied in its log)\n`);
        });
      });
  }

  book
    .command('status')
    .description("the book's stream head and lease, and whether it is quarantined (what broke, where, when)")
    .option('--book <id>', 'the book (default: WARDEN_BOOK from the profile)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { book?: string; json?: boolean }) => {
      const id = await bookId(globals, opts.book);
      const stream = `book:${id}`;
      await withStore(globals(), 'book status', async ({ db }) => {
        const { verifySchema } = await import('../../store/migrations.js');
        await verifySchema(db);
        const { EventStore } = await import('../../store/event-store.js');
        const { quarantineStatus, describeQuarantine } = await import('../../replay/quarantine.js');
        const store = new EventStore(db);
        const info = (await store.streams()).find((s) => s.stream === stream) ?? null;
        const q = await quarantineStatus(store, stream);
        if (opts.json) {
          return writeJson({
            book: id, stream, exists: info !== null, head_seq: info?.head_seq ?? 0, head_hash: info?.head_hash ?? null,
            lease_owner: info?.lease_live ? info.lease_owner : null, quarantined: q !== null, quarantine: q,
          });
        }
        const head = info === null ? `no stream ${stream} yet` : `${stream}: head seq ${info.head_seq}, chain head ${info.head_hash}`;
        const lease = info?.lease_live ? `, writer lease held by ${info.lease_owner}` : '';
        process.stdout.write(`${head}${lease}\n${q === null ? 'not quarantined' : describeQuarantine(stream, q)}\n`);
      });
    });

  book
    .command('release')
    .description('lift the quarantine of a book once its log is repaired or accepted (recorded in audit:quarantine)')
    .option('--book <id>', 'the book (default: WARDEN_BOOK from the profile)')
    .requiredOption('--reason <text>', `why it is safe to run again, kept in the audit stream (max ${REASON_CHARS_MAX} characters)`)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { book?: string; reason: string; json?: boolean }) => {
      const id = await bookId(globals, opts.book);
      if (opts.reason.trim() === '') throw new CliError('--reason is empty: say why the book is safe to run again', EXIT.usage);
      if (opts.reason.length > REASON_CHARS_MAX) throw new CliError(`--reason is ${opts.reason.length} characters (max ${REASON_CHARS_MAX})`, EXIT.usage);
      const stream = `book:${id}`;
      await withStore(globals(), 'book release', async ({ db, log }) => {
        const { verifySchema } = await import('../../store/migrations.js');
        await verifySchema(db);
        const { EventStore } = await import('../../store/event-store.js');
        const { releaseQuarantine, NotQuarantinedError, AUDIT_STREAM } = await import('../../replay/quarantine.js');
        const released_by = issuer();
        let r;
        try {
          r = await releaseQuarantine(new EventStore(db), stream, released_by, opts.reason, Date.now());
        } catch (e) {
          if (e instanceof NotQuarantinedError) throw new CliError(`book ${id} (${stream}) is not quarantined: nothing to release (see warden book status --book ${id})`, EXIT.failure);
          throw e;
        }
        log.info({ event: 'quarantine_released', stream, audit_seq: r.audit_seq, quarantine_seq: r.quarantine_seq, released_by });
        if (opts.json) return writeJson({ book: id, stream, audit_stream: AUDIT_STREAM, audit_seq: r.audit_seq, quarantine_seq: r.quarantine_seq, released_by, reason: opts.reason, released: r.released });
        process.stdout.write(
          `${stream}: quarantine ${AUDIT_STREAM} seq ${r.quarantine_seq} (${r.released.kind} failure at ${r.released.seq === null ? 'no specific seq' : `seq ${r.released.seq}`}) ` +
            `released by ${released_by} (${AUDIT_STREAM} seq ${r.audit_seq}); the runtime will start the book again (a log still broken is quarantined again)\n`,
        );
      });
    });
}
