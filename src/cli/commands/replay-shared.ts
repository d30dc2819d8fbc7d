/**
 * What the `warden replay` verbs share: which kernel folds a stream (the minimal book, or a
 * trading book's kernel from --book-config / WARDEN_BOOK_CONFIG, guarded by the config hash the
 * book was started with), the stream list, time arguments, the progress bar, and the quarantine
 * written when a replay finds a broken chain or a divergence.
 */
import { readFileSync } from 'node:fs';
import type { BookKernel } from '../../core/book/index.js';
import type { EventStore, StreamInfo } from '../../store/event-store.js';
import type { Db } from '../../store/db.js';
import { CliError, EXIT } from '../context.js';

export type NamedKernel = { name: string; kernel: BookKernel<unknown> };

export interface KernelChoice {
  /** The kernel for a stream, or null when none is known (chain-only verification). */
  forStream(stream: string): NamedKernel | null;
}

/**
 * The trading kernel for one book config, with a guard: folding must meet a book.started whose
 * config_hash is this config's, else the config is not the one the book runs (a usage error).
 */
async function tradingKernelFor(path: string, what: string): Promise<{ book_id: string; kernel: NamedKernel }> {
  let bookId: string;
  try {
    bookId = String((JSON.parse(readFileSync(path, 'utf8')) as { book_id?: unknown }).book_id);
  } catch (e) {
    throw new CliError(`${what} ${path}: cannot read it as JSON (${(e as Error).message})`, EXIT.config);
  }
  const { tradingKernelFrom } = await import('../../runtime/book-config.js');
  const { ReplayKernelError } = await import('../../replay/verify.js');
  const t = await tradingKernelFrom(path, bookId, `${what} ${path}`);
  const evolve = t.kernel.decider.evolve;
  const kernel: BookKernel<unknown> = {
    ...t.kernel,
    decider: {
      ...t.kernel.decider,
      evolve: (s, e) => {
        const hash = e.type === 'book.started' ? (e.payload as { config_hash?: unknown }).config_hash : undefined;
        if (hash !== undefined && hash !== t.config_hash) {
          throw new ReplayKernelError(`book:${bookId}`, 0, `book:${bookId} was started with config ${String(hash)}, but ${what} ${path} is config ${t.config_hash}`);
        }
        return evolve(s, e);
      },
    },
  };
  return { book_id: bookId, kernel: { name: 'trading', kernel } };
}

export async function kernelChoice(bookConfig: string | undefined, envBookConfig: string | undefined): Promise<KernelChoice> {
  const path = bookConfig ?? envBookConfig;
  const trading = path ? await tradingKernelFor(path, bookConfig ? '--book-config' : 'WARDEN_BOOK_CONFIG') : null;
  const { kernelFor } = await import('../../replay/verify.js');
  return {
    forStream: (stream) => (trading && stream === `book:${trading.book_id}` ? trading.kernel : kernelFor(stream)),
  };
}

/** The event store of a store whose schema this build knows ("Run: warden migrate" otherwise). */
export async function replayStore(db: Db): Promise<EventStore> {
  const { verifySchema } = await import('../../store/migrations.js');
  await verifySchema(db);
  const { EventStore } = await import('../../store/event-store.js');
  return new EventStore(db);
}

/** The streams to replay: one book (--book) or all; exit 1 naming the book when it has no stream. */
export async function streamsOf(store: EventStore, db: Db, book: string | undefined): Promise<StreamInfo[]> {
  const all = await store.streams();
  const streams = book ? all.filter((s) => s.stream === `book:${book}`) : all;
  if (book && streams.length === 0) throw new CliError(`no stream book:${book} in ${db.description}`, EXIT.failure);
  return streams;
}

/** The one book stream a window / hour / manifest works on: --book, else WARDEN_BOOK, else the only book in the store. */
export async function oneBook(store: EventStore, db: Db, book: string | undefined): Promise<string> {
  if (book) return (await streamsOf(store, db, book))[0]!.stream;
  const books = (await store.streams()).filter((s) => s.stream.startsWith('book:'));
  if (books.length === 1) return books[0]!.stream;
  if (books.length === 0) throw new CliError(`no book stream in ${db.description}`, EXIT.failure);
  throw new CliError(`${books.length} books in ${db.description} (${books.map((b) => b.stream.slice(5)).join(', ')}): pass --book <id>`, EXIT.usage);
}

/** A kernel that can re-execute the stream, or a usage error saying what to pass. */
export function kernelOrExplain(choice: KernelChoice, stream: string): NamedKernel {
  const k = choice.forStream(stream);
  if (k === null) throw new CliError(`${stream}: no kernel replays this kind of stream (only book:<id> streams are re-executed)`, EXIT.usage);
  return k;
}

/**
 * A time argument: ISO 8601 UTC (2023-01-05T10:00:00Z, 2023-01-05T10:00Z, 2023-01-05) or epoch
 * milliseconds. Names the option and what was expected on error.
 */
export function parseTime(text: string, option: string): number {
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z)?$/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isSafeInteger(ms)) throw new CliError(`${option} ${JSON.stringify(text)}: expected a UTC time like 2023-01-05T10:00:00Z (or 2023-01-05, or epoch milliseconds)`, EXIT.usage);
  return ms;
}

export async function progressBar(enabled: boolean) {
  if (!enabled || !process.stderr.isTTY) return null;
  const { SingleBar, Presets } = await import('cli-progress');
  return new SingleBar({ stream: process.stderr, format: '{stream} [{bar}] {value}/{total} events' }, Presets.shades_classic);
}

/**
 * On a broken chain, a snapshot mismatch or a divergence: quarantine the stream (an event in the
 * audit stream, never in the broken one), and say so in the error. Other errors pass unchanged.
 */
export async function quarantining<T>(store: EventStore, stream: string, detectedBy: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const { quarantineOnFailure, AUDIT_STREAM } = await import('../../replay/quarantine.js');
    const q = await quarantineOnFailure(store, stream, e, detectedBy);
    if (q !== null && e instanceof Error) {
      const note = 'error' in q
        ? ` (the quarantine could not be recorded: ${q.error.message})`
        : `\n${stream} is quarantined (${AUDIT_STREAM} seq ${q.audit_seq}): the runtime will not continue it until an operator runs \`warden book release --book ${stream.replace(/^book:/, '')} --reason TEXT\``;
      e.message += note;
    }
    throw e;
  }
}
