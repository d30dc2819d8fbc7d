/**
 * `warden report daily [--book ID] [--date YYYY-MM-DD] [--json]`: the operator's start-of-day /
 * end-of-day view of one book for one UTC day (src/report/daily.ts builds it, daily-text.ts
 * prints it). The book is --book (an id or a backtest:<id>:<run> stream), else WARDEN_BOOK; the
 * day defaults to the day of the book's latest tick. Exit 64 for a malformed --book or --date,
 * 1 for a book with no stream.
 */
import type { Command } from 'commander';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';

export function registerReport(program: Command, globals: () => GlobalOptions): void {
  const report = program.command('report').description('operator reports built from the store');
  report
    .command('daily')
    .description("one book's UTC day: start/end of day, fills, P&L, directives and their fate, suggestions, data health")
    .option('--book <id>', 'the book id, or a stream such as backtest:<id>:<run> (default: WARDEN_BOOK from the profile)')
    .option('--date <day>', "the UTC day YYYY-MM-DD (default: the day of the book's latest tick)")
    .option('--json', 'print the report as JSON (money as exact decimals)')
    .action(async (opts: { book?: string; date?: string; json?: boolean }) => {
      const { bookStreamOf, parseDay } = await import('../../report/daily.js');
      let book = opts.book;
      if (book === undefined) book = (await import('../../runtime/config/index.js')).loadConfig(globals().envFile, process.env, []).WARDEN_BOOK;
      if (book === undefined) throw new CliError('no book: pass --book <id> or set WARDEN_BOOK', EXIT.usage);
      bookStreamOf(book); // a malformed --book or --date fails before the store is opened
      if (opts.date !== undefined) parseDay(opts.date);
      await withStore(globals(), 'report daily', async ({ db }) => {
        const { EventStore } = await import('../../store/event-store.js');
        const { dailyReport } = await import('../../report/daily.js');
        const r = await dailyReport(db, new EventStore(db), { book: book!, date: opts.date });
        if (opts.json) return writeJson(r);
        const { renderDailyText } = await import('../../report/daily-text.js');
        process.stdout.write(renderDailyText(r));
      });
    });
}
