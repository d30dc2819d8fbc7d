/**
 * Which books a runtime process runs, and with which kernel: WARDEN_BOOK (one book, config from
 * WARDEN_BOOK_CONFIG: the form every profile used before several books) or WARDEN_BOOKS (a comma
 * list; each book's config is <WARDEN_BOOK_CONFIG_DIR>/<id>.book.json when the directory is set).
 * Mixing the two forms is a configuration error (exit 78) saying which to use.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BookKernel, StepProbe } from '../core/book/index.js';
import { ConfigError, type Config } from './config/index.js';
import { tradingKernelFrom } from './book-config.js';
import type { BookSpec } from './book-supervisor.js';

type BooksConfig = Partial<Pick<Config, 'WARDEN_BOOK' | 'WARDEN_BOOKS' | 'WARDEN_BOOK_CONFIG' | 'WARDEN_BOOK_CONFIG_DIR'>>;

export interface RuntimeBooks {
  /** WARDEN_BOOKS: a failure stops one book; WARDEN_BOOK: the process (as it always did). */
  multi: boolean;
  specs: BookSpec[];
}

async function specFor(id: string, path: string | undefined, name: string, override?: BookKernel, probe?: StepProbe): Promise<BookSpec> {
  if (override !== undefined) return { id, kernel: override, configPath: null, configHash: null, configName: name };
  if (path === undefined) {
    const { bookKernel } = await import('../core/book/index.js');
    return { id, kernel: bookKernel(null, { probe }), configPath: null, configHash: null, configName: name }; // a book without a market: operator commands only
  }
  const t = await tradingKernelFrom(path, id, name, probe);
  return { id, kernel: t.kernel, configPath: path, configHash: t.config_hash, configName: name };
}

/** Reads the book list and loads each book's kernel; ConfigError (78) naming the variable or file. */
/** `probe`: the kernel's timing seam for the API's duration metrics (WARDEN_API_PORT), else undefined. */
export async function loadRuntimeBooks(config: BooksConfig, override?: BookKernel, probe?: StepProbe): Promise<RuntimeBooks> {
  const { WARDEN_BOOK: one, WARDEN_BOOKS: many, WARDEN_BOOK_CONFIG: file, WARDEN_BOOK_CONFIG_DIR: dir } = config;
  if (many === undefined) {
    if (dir !== undefined) throw new ConfigError([`WARDEN_BOOK_CONFIG_DIR=${dir} is for WARDEN_BOOKS; with WARDEN_BOOK=${one ?? ''} use WARDEN_BOOK_CONFIG`]);
    if (one === undefined) throw new ConfigError(['WARDEN_BOOK (one book) or WARDEN_BOOKS (several) is required']);
    return { multi: false, specs: [await specFor(one, file, `WARDEN_BOOK_CONFIG=${file ?? ''}`, override, probe)] };
  }
  const problems: string[] = [];
  if (one !== undefined) problems.push(`WARDEN_BOOK=${one} and WARDEN_BOOKS=${many.join(',')} are both set: use one (WARDEN_BOOKS=${one} runs one book the multi-book way)`);
  if (file !== undefined) problems.push(`WARDEN_BOOK_CONFIG=${file} is for WARDEN_BOOK; with WARDEN_BOOKS put each book's config in WARDEN_BOOK_CONFIG_DIR as <id>.book.json`);
  const paths = new Map<string, string>();
  if (dir !== undefined) {
    for (const id of many) {
      const path = join(dir, `${id}.book.json`);
      if (existsSync(path)) paths.set(id, path);
      else problems.push(`WARDEN_BOOK_CONFIG_DIR=${dir} has no ${id}.book.json for book ${id} of WARDEN_BOOKS (expected ${path})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const specs: BookSpec[] = [];
  for (const id of many) {
    const path = paths.get(id);
    specs.push(await specFor(id, path, path === undefined ? `book ${id}` : `WARDEN_BOOK_CONFIG_DIR=${dir ?? ''}: ${path}`, override, probe));
  }
  return { multi: true, specs };
}
