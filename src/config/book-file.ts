/**
 * A book config file (BOOK.json: the schema in core/book/config.ts) read and resolved, for every
 * entry point that takes one (warden backtest --config, the runtime's WARDEN_BOOK_CONFIG, warden
 * replay --book-config). Problems are BookFileError (exit 78) naming the file and the field.
 *
 * The JSON boundary: a small regular file (files.ts readSmallFile), valid JSON (a syntax error is
 * named file:line:column, a leading byte-order mark skipped: json-text.ts), nested at most
 * JSON_DEPTH_MAX deep, and no key named "__proto__" anywhere (JSON.parse keeps it as a key, but
 * any object copy downstream would turn it into a prototype and drop it silently).
 */
import type { ResolvedBook } from '../core/book/index.js';
import { readSmallFile } from './files.js';
import { parseJsonText } from './json-text.js';

/** A book config is small: refuse anything larger (and anything that is not a regular file) before reading it. */
export const BOOK_FILE_BYTES_MAX = 1 << 20;
/** Limit: how deep a config's JSON may nest (the schema needs 5). */
export const JSON_DEPTH_MAX = 32;

export class BookFileError extends Error {
  override readonly name = 'BookFileError';
  readonly exitCode = 78;
}

/** Refuses a key that would become a prototype, or nesting deeper than JSON_DEPTH_MAX; names the path. */
export function checkJsonKeys(value: unknown, what: string): void {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= JSON_DEPTH_MAX) throw new BookFileError(`${what}: ${path || '(root)'}: nested deeper than ${JSON_DEPTH_MAX} levels`);
    if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push({ v: x, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const k of Object.keys(v)) {
      const at = path === '' ? k : `${path}.${k}`;
      if (k === '__proto__') throw new BookFileError(`${what}: ${at}: "__proto__" is not allowed as a key`);
      stack.push({ v: (v as Record<string, unknown>)[k], path: at, depth: depth + 1 });
    }
  }
}

/** `what` names the source in messages, e.g. "--config book.json" or "WARDEN_BOOK_CONFIG=book.json". */
export async function loadBookFile(file: string, what = file): Promise<{ raw: unknown; book: ResolvedBook }> {
  const { resolveBook, BookConfigError } = await import('../core/book/index.js');
  let text: string;
  try {
    text = readSmallFile(file, BOOK_FILE_BYTES_MAX, `cannot read the book config ${what}`, 78);
  } catch (e) {
    throw new BookFileError((e as Error).message, { cause: e });
  }
  let raw: unknown;
  try {
    raw = parseJsonText(text, `cannot read the book config ${what}`);
  } catch (e) {
    throw new BookFileError((e as Error).message, { cause: e });
  }
  checkJsonKeys(raw, what);
  try {
    return { raw, book: resolveBook(raw) };
  } catch (e) {
    if (e instanceof BookConfigError) throw new BookFileError(what === file ? e.message : `${what}: ${e.message}`);
    throw e;
  }
}
