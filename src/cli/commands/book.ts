/**
 * `warden book pause|resume [--book ID] [--reason TEXT]`: records an operator command in the
 * book's append-only inbox. The running paper runtime applies it on its next poll as one step
 * (operator.command_applied, or operator.command_rejected with why); nothing here changes the
 * book directly. The book is --book, else WARDEN_BOOK. With the embedded store (PGlite) the
 * runtime holds the store, so this exits 75 while it runs: use PostgreSQL to operate a live book.
 */
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { BOOK_ID_RE, REASON_CHARS_MAX } from '../../core/book/index.js';
import { loadConfig } from '../../runtime/config/index.js';
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

export function registerBook(program: Command, globals: () => GlobalOptions): void {
  const book = program.command('book').description('operator commands for a book, recorded in its inbox and applied by the running runtime');
  for (const [verb, command, what] of [['pause', 'book.pause', 'pause the book (status PAUSED)'], ['resume', 'book.resume', 'resume the book (status ACTIVE)']] as const) {
    book
      .command(verb)
      .description(`${what}: recorded in the inbox; the runtime applies it on its next poll`)
      .option('--book <id>', 'the book (default: WARDEN_BOOK from the profile)')
      .option('--reason <text>', `why, kept in the event log (max ${REASON_CHARS_MAX} characters)`)
      .option('--json', 'print the result as JSON')
      .action(async (opts: { book?: string; reason?: string; json?: boolean }) => {
        const id = opts.book ?? loadConfig(globals().envFile, process.env, []).WARDEN_BOOK;
        if (id === undefined) throw new CliError('no book: pass --book <id> or set WARDEN_BOOK', EXIT.usage);
        if (!BOOK_ID_RE.test(id)) throw new CliError(`--book ${JSON.stringify(id)}: expected lower-case letters, digits, _ . - (1-64 characters)`, EXIT.usage);
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
}
