/**
 * Loads a trading book's config (BOOK.json, the schema of `warden backtest --config`) into the
 * trading BookKernel. Shared by the paper runtime (WARDEN_BOOK_CONFIG) and `warden replay verify
 * --book-config`, so both fold a book with exactly the same kernel. Every problem is a
 * ConfigError naming the file and what was expected.
 */
import { readFileSync } from 'node:fs';
import type { BookKernel } from '../core/book/index.js';
import { ConfigError } from './config/index.js';

/** `what` names the source in messages, e.g. "WARDEN_BOOK_CONFIG=book.json" or "--book-config book.json". */
export async function tradingKernelFrom(
  path: string,
  bookId: string,
  what = `WARDEN_BOOK_CONFIG=${path}`,
): Promise<{ kernel: BookKernel<unknown>; config_hash: string }> {
  const { resolveBook, tradingBookKernel } = await import('../core/engine/index.js');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError([`${what} cannot be read as JSON: ${(e as Error).message}`]);
  }
  let book;
  try {
    book = resolveBook(raw);
  } catch (e) {
    throw new ConfigError([`${what} is not a valid book config: ${(e as Error).message}`]);
  }
  if (book.config.data.source?.kind !== 'store') throw new ConfigError([`${what}: data.source must be {"kind": "store"} (the runtime trades the store's accepted candles)`]);
  if (book.config.book_id !== bookId) throw new ConfigError([`${what} is for book ${book.config.book_id}, but the book is ${bookId}`]);
  return { kernel: tradingBookKernel(book) as unknown as BookKernel<unknown>, config_hash: book.config_hash };
}
