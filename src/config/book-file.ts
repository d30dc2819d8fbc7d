/**
 * A book config file (BOOK.json: the schema in core/book/config.ts) read and resolved, for every
 * entry point that takes one (warden backtest --config, the runtime's WARDEN_BOOK_CONFIG, warden
 * replay --book-config). Problems are BookFileError (exit 78) naming the file and the field.
 */
import { readFileSync, statSync } from 'node:fs';
import type { ResolvedBook } from '../core/book/index.js';

/** A book config is small: refuse anything larger (and anything that is not a regular file) before reading it. */
export const BOOK_FILE_BYTES_MAX = 1 << 20;

export class BookFileError extends Error {
  override readonly name = 'BookFileError';
  readonly exitCode = 78;
}

/** `what` names the source in messages, e.g. "--config book.json" or "WARDEN_BOOK_CONFIG=book.json". */
export async function loadBookFile(file: string, what = file): Promise<{ raw: unknown; book: ResolvedBook }> {
  const { resolveBook, BookConfigError } = await import('../core/book/index.js');
  let raw: unknown;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > BOOK_FILE_BYTES_MAX) throw new Error(`${st.size} bytes (max ${BOOK_FILE_BYTES_MAX})`);
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new BookFileError(`cannot read the book config ${what}: ${(e as Error).message}`);
  }
  try {
    return { raw, book: resolveBook(raw) };
  } catch (e) {
    if (e instanceof BookConfigError) throw new BookFileError(what === file ? e.message : `${what}: ${e.message}`);
    throw e;
  }
}
