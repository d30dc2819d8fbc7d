/**
 * Loads a trading book's config (BOOK.json, the schema of `warden backtest --config`) into the
 * book kernel. Shared by the paper runtime (WARDEN_BOOK_CONFIG) and `warden replay --book-config`,
 * so both run a book with exactly the same kernel. Every problem is a ConfigError naming the file
 * and what was expected.
 */
import type { BookKernel, StepProbe } from '../core/book/index.js';
import { ConfigError } from './config/index.js';

/** `what` names the source in messages, e.g. "WARDEN_BOOK_CONFIG=book.json" or "--book-config book.json". */
export async function tradingKernelFrom(
  path: string,
  bookId: string,
  what = `WARDEN_BOOK_CONFIG=${path}`,
  probe?: StepProbe,
): Promise<{ kernel: BookKernel; config_hash: string }> {
  const { loadBookFile, BookFileError } = await import('../config/book-file.js');
  const { bookKernel } = await import('../core/book/index.js');
  let book;
  try {
    ({ book } = await loadBookFile(path, what));
  } catch (e) {
    if (e instanceof BookFileError) throw new ConfigError([e.message]);
    throw e;
  }
  if (book.config.data.source?.kind !== 'store') throw new ConfigError([`${what}: data.source must be {"kind": "store"} (the runtime trades the store's accepted candles)`]);
  if (book.config.book_id !== bookId) throw new ConfigError([`${what} is for book ${book.config.book_id}, but the book is ${bookId}`]);
  return { kernel: bookKernel(book, { probe }), config_hash: book.config_hash };
}
