/**
 * `warden book pause|resume|flatten [--book ID] [--reason TEXT]`: records an operator command in
 * the book's append-only inbox. The running paper runtime applies it as one step
 * (operator.command_applied, or operator.command_rejected with why); nothing here changes the
 * book directly. The book is --book, else WARDEN_BOOK. The store is reached as src/cli/operator.ts
 * says: on an embedded store (PGlite) held by the running runtime, through its operator channel;
 * otherwise directly (PostgreSQL: the runtime wakes on NOTIFY and still polls).
 *
 * `warden book status [--book ID] [--json]`: the book's stream head and lease, and whether it is
 * quarantined (what broke, where, who found it, when); through the channel too. `warden book
 * release [--book ID] --reason TEXT [--json]`: the operator act that lifts a quarantine
 * (stream.quarantine_released in audit:quarantine; the book's own stream is never written); exit 1
 * naming the book when it is not quarantined. See src/replay/quarantine.ts. A quarantined book is
 * not running, so release opens the store itself.
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
export async function bookId(globals: () => GlobalOptions, book: string | undefined): Promise<string> {
  const id = book ?? (await import('../../runtime/config/index.js')).loadConfig(globals().envFile, process.env, []).WARDEN_BOOK;
  if (id === undefined) throw new CliError('no book: pass --book <id> or set WARDEN_BOOK', EXIT.usage);
  if (!BOOK_ID_RE.test(id)) throw new CliError(`--book ${JSON.stringify(id)}: expected lower-case letters, digits, _ . - (1-64 characters)`, EXIT.usage);
  return id;
}

export function registerBook(program: Command, globals: () => GlobalOptions): void {
  const book = program.command('book').description('operator commands for a book: inbox commands applied by the running runtime, status, quarantine release');
  const verbs = [
    ['pause', 'book.pause', 'pause the book (status PAUSED)'],
    ['resume', 'book.resume', 'resume the book (status ACTIVE)'],
    ['flatten', 'book.flatten', 'close every position of the book at the next bar'],
  ] as const;
  for (const [verb, command, what] of verbs) {
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
        const { withOperator } = await import('../operator.js');
        await withOperator(globals(), `book ${verb}`, async (port, log) => {
          const issued_by = issuer();
          const { inbox_id: inboxId } = await port.appendInbox(stream, command, { reason }, issued_by);
          log.info({ event: 'inbox_command_recorded', inbox_id: inboxId, stream, command, issued_by, via: port.via });
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
      const { withOperator } = await import('../operator.js');
      await withOperator(globals(), 'book status', async (port) => {
        const { describeQuarantine } = await import('../../replay/quarantine.js');
        const st = await port.bookStatus(stream);
        if (opts.json) {
          return writeJson({
            book: id, stream, exists: st.exists, head_seq: st.head_seq, head_hash: st.head_hash,
            lease_owner: st.lease_owner, quarantined: st.quarantined, quarantine: st.quarantine,
          });
        }
        const head = !st.exists ? `no stream ${stream} yet` : `${stream}: head seq ${st.head_seq}, chain head ${st.head_hash ?? ''}`;
        const lease = st.lease_owner !== null ? `, writer lease held by ${st.lease_owner}` : '';
        process.stdout.write(`${head}${lease}\n${st.quarantine === null ? 'not quarantined' : describeQuarantine(stream, st.quarantine)}\n`);
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
      }, { brief: true });
    });
}
