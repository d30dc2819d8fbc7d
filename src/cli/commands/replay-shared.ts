/**
 * What the `warden replay` verbs share: which kernel re-executes a stream (the config it recorded,
 * or --book-config / WARDEN_BOOK_CONFIG for its book, guarded by the recorded config hash), the stream list, time arguments, the progress bar, and the quarantine
 * written when a replay finds a broken chain or a divergence.
 */
import type { NamedKernel } from '../../replay/kernel.js';
import type { EventStore, StreamInfo } from '../../store/event-store.js';
import type { Db } from '../../store/db.js';
import { CliError, EXIT } from '../context.js';

export type { NamedKernel } from '../../replay/kernel.js';

export interface KernelChoice {
  /** The kernel that re-executes a stream (its recorded config, or the one passed), or null when it is not a book stream (chain-only verification). */
  forStream(stream: string): Promise<NamedKernel | null>;
}

/**
 * Book streams re-execute with the config they recorded in book.started; --book-config (or
 * WARDEN_BOOK_CONFIG) replaces it for its own book (reexecute checks the config hash matches).
 */
export async function kernelChoice(db: Db, store: EventStore, bookConfig: string | undefined, envBookConfig: string | undefined): Promise<KernelChoice> {
  const path = bookConfig ?? envBookConfig;
  let given: { book_id: string; kernel: NamedKernel } | null = null;
  if (path !== undefined) {
    const what = bookConfig !== undefined ? '--book-config' : 'WARDEN_BOOK_CONFIG';
    let bookId: string;
    const { BOOK_FILE_BYTES_MAX } = await import('../../config/book-file.js');
    const { readSmallFile } = await import('../../config/files.js');
    const text = readSmallFile(path, BOOK_FILE_BYTES_MAX, `${what} ${path}`, EXIT.config);
    const { parseJsonText } = await import('../../config/json-text.js');
    try {
      bookId = String((parseJsonText(text, `${what} ${path}`) as { book_id?: unknown } | null)?.book_id);
    } catch (e) {
      throw new CliError((e as Error).message, EXIT.config);
    }
    const { tradingKernelFrom } = await import('../../runtime/book-config.js');
    given = { book_id: bookId, kernel: { name: 'trading', kernel: (await tradingKernelFrom(path, bookId, `${what} ${path}`)).kernel } };
  }
  const { isBookStream } = await import('../../replay/verify.js');
  const { recordedKernel } = await import('../../replay/kernel.js');
  return {
    forStream: async (stream) => {
      if (given !== null && stream === `book:${given.book_id}`) return given.kernel;
      return isBookStream(stream) ? recordedKernel(db, store, stream) : null;
    },
  };
}

/** The event store of a store whose schema this build knows ("Run: warden migrate" otherwise). */
export async function replayStore(db: Db): Promise<EventStore> {
  const { verifySchema } = await import('../../store/migrations.js');
  await verifySchema(db);
  const { EventStore } = await import('../../store/event-store.js');
  return new EventStore(db);
}

const BOOK_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/; // core/book/state.ts BOOK_ID_RE (not imported: the kernel loads only when a replay runs)
const STREAM_NAME = /^(book|backtest|audit):[a-z0-9][a-z0-9_.:-]{0,127}$/;

/**
 * The stream `--book` names: a book id (book:<id>), or a whole stream name such as
 * backtest:<book>:<run>. Anything else (a path, "", spaces) is a usage error (64) naming it.
 */
export function streamOfBook(book: string): string {
  if (BOOK_ID.test(book)) return `book:${book}`;
  if (STREAM_NAME.test(book)) return book;
  throw new CliError(`--book ${JSON.stringify(book)}: expected a book id (lower-case letters, digits, _ . -; 1-64 characters) or a stream name like backtest:<book>:<run>`, EXIT.usage);
}

/** The streams to replay: one (--book) or all; exit 1 naming it when it has no stream. */
export async function streamsOf(store: EventStore, db: Db, book: string | undefined): Promise<StreamInfo[]> {
  const wanted = book === undefined ? null : streamOfBook(book);
  const all = await store.streams();
  const streams = wanted !== null ? all.filter((s) => s.stream === wanted) : all;
  if (wanted !== null && streams.length === 0) throw new CliError(`no stream ${wanted} in ${db.description}`, EXIT.failure);
  return streams;
}

/** The one book stream a window / hour / manifest works on: --book, else WARDEN_BOOK, else the only book in the store. */
export async function oneBook(store: EventStore, db: Db, book: string | undefined): Promise<string> {
  if (book !== undefined) return (await streamsOf(store, db, book))[0]!.stream;
  const books = (await store.streams()).filter((s) => s.stream.startsWith('book:'));
  if (books.length === 1) return books[0]!.stream;
  if (books.length === 0) throw new CliError(`no book stream in ${db.description} (a persisted backtest is replayed with --book backtest:<book>:<run>)`, EXIT.failure);
  throw new CliError(`${books.length} books in ${db.description} (${books.map((b) => b.stream.slice(5)).join(', ')}): pass --book <id>`, EXIT.usage);
}

/** A kernel that can re-execute the stream, or a usage error saying what to pass. */
export async function kernelOrExplain(choice: KernelChoice, stream: string): Promise<NamedKernel> {
  const k = await choice.forStream(stream);
  if (k === null) throw new CliError(`${stream}: no kernel replays this kind of stream (only book streams, book:<id> and backtest:<book>:<run>, are re-executed)`, EXIT.usage);
  return k;
}

/**
 * A time argument: ISO 8601 UTC (2023-01-05T10:00:00Z, 2023-01-05T10:00Z, 2023-01-05) or epoch
 * milliseconds. Names the option and what was expected on error.
 */
export function parseTime(text: string, option: string): number {
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?Z)?$/.exec(text);
  let ms = /^\d{1,15}$/.test(text) ? Number(text) : iso !== null ? Date.parse(text) : NaN;
  if (iso !== null && Number.isFinite(ms)) {
    // Date.parse rolls 2023-02-30 over to 2023-03-02: a time that does not exist is refused, as --from is by backtest.
    const back = new Date(ms).toISOString();
    const given = `${iso[1]}-${iso[2]}-${iso[3]}T${iso[4] ?? '00'}:${iso[5] ?? '00'}:${iso[6] ?? '00'}`;
    if (back.slice(0, 19) !== given || Number(iso[1]) < 1970) ms = NaN;
  }
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
