/**
 * Reading ingestion sources from disk: format detection, the source's sha256, and streaming
 * lines with their numbers (memory bounded by one read chunk plus one line of at most
 * LINE_LENGTH_MAX). Lines break as node:readline breaks them (\n, \r\n, a lone \r), split by
 * hand because readline costs more than the gate behind it: while the file is ASCII, as byte spans
 * of the chunk read (readLineSpans: no decoding, no string per line, for the backtest's reader),
 * then from the decoded text. JSON payloads (Kraken REST responses, at most a few hundred KB) are
 * read whole, under a size limit.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream, fstatSync, openSync, readSync, closeSync, statSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { IngestInputError } from './errors.js';
import { intervalProblem } from './series.js';
import { parseJsonText } from '../config/json-text.js';

export const FORMATS = ['kraken-ohlcvt', 'ohlcv-csv', 'kraken-trades', 'kraken-rest-ohlc', 'kraken-rest-trades'] as const;
export type IngestFormat = (typeof FORMATS)[number];

/** Limits. */
export const LINE_LENGTH_MAX = 4096;
export const FILE_BYTES_MAX = 4 * 1024 ** 3;
export const PAYLOAD_BYTES_MAX = 64 * 1024 ** 2;
/**
 * Bytes read from disk at a time by the line reader (node's own default). Larger chunks keep more
 * lines alive across each young-generation GC: measured over the hourly BTC/USD file, 1 MiB chunks
 * spent about twice as long in GC as 64 KiB (--trace-gc; npm run bench:read for the rates).
 */
export const READ_CHUNK_BYTES = 64 * 1024;

/** A source file that could not be opened or read: its path and the system's code (ENOENT, EIO, ...). */
function cannotRead(file: string, e: unknown): IngestInputError {
  return new IngestInputError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  } catch (e) {
    throw cannotRead(file, e);
  }
  return h.digest('hex');
}

export function fileSize(file: string): number {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw cannotRead(file, e);
  }
  if (!st.isFile()) throw new IngestInputError(`${file}: not a regular file`);
  if (st.size > FILE_BYTES_MAX) throw new IngestInputError(`${file}: ${st.size} bytes (max ${FILE_BYTES_MAX})`);
  return st.size;
}

/** The first `bytes` of `file`, as text (opened and read as the line reader does: a refused or failing file is an IngestInputError naming it). */
export function head(file: string, bytes = 512): string {
  const fd = openRegularFile(file);
  try {
    return headOfFd(fd, file, bytes);
  } finally {
    closeSync(fd);
  }
}

/** Guesses the format from the name and first bytes; the caller may override with --format. */
export function detectFormat(file: string): IngestFormat {
  return formatOfHead(file, head(file, 4096));
}

/**
 * detectFormat on the first bytes (up to 4 KiB) of `file`, already read. The first line ends where
 * the line reader ends it (\n, \r\n or a lone \r). `fix` says what to do when the format cannot be
 * told (for `warden ingest`: pass --format; a reader without that option says what it reads).
 */
export function formatOfHead(file: string, headText: string, fix = 'pass --format'): IngestFormat {
  const text = headText.trimStart();
  if (text === '') throw new IngestInputError(`${basename(file)}: the file is empty (no data rows)`);
  // UTF-16 (Excel's "Unicode text") or a binary file: NULs between the characters, not text to show
  if (text.includes('\u0000')) {
    // two characters each with a NUL beside it (after a decoded byte-order mark, if any): UTF-16 LE or BE
    const body = text.startsWith('\ufffd\ufffd') ? text.slice(2) : text;
    const nul = (i: number) => body.charCodeAt(i) === 0;
    const utf16 = body.length >= 4 && ((!nul(0) && nul(1) && !nul(2) && nul(3)) || (nul(0) && !nul(1) && nul(2) && !nul(3)));
    throw new IngestInputError(`${basename(file)}:1: NUL bytes in the first bytes: ${utf16 ? 'UTF-16 text' : 'not a text file'}; expected UTF-8 (or ASCII) text${utf16 ? ': save it as UTF-8' : ''}`);
  }
  if (text.startsWith('{')) {
    // Kraken REST: OHLC rows start with an integer time, Trades rows with a price string.
    return /"result"\s*:\s*\{\s*"[^"]+"\s*:\s*\[\s*\[\s*\d/.test(text) ? 'kraken-rest-ohlc' : 'kraken-rest-trades';
  }
  const first = text.split(/\r\n?|\n/, 1)[0] ?? '';
  if (/[a-df-z]/i.test(first.replace(/e[+-]?\d/gi, ''))) return 'ohlcv-csv';
  const n = first.split(',').length;
  if (n === 7) return 'kraken-ohlcvt';
  if (n === 3) return 'kraken-trades';
  throw new IngestInputError(`${basename(file)}: cannot tell the format from its first line (${n} comma-separated fields); ${fix}`);
}

/** Streams lines with 1-based numbers; `onBytes` gets the bytes read so far (progress). */
export async function* readLines(file: string, onBytes?: (bytes: number) => void): AsyncGenerator<{ line: number; text: string }> {
  for await (const block of readLineBlocks(openRegularFile(file), file, onBytes)) {
    for (let i = 0; i < block.lines.length; i++) yield { line: block.first_line + i, text: block.lines[i]! };
  }
}

/** Consecutive lines of a file: lines[i] is line first_line + i (1-based). */
export interface LineBlock {
  readonly first_line: number;
  readonly lines: string[];
}

/**
 * Opens `file` for reading and checks it is a regular file under FILE_BYTES_MAX, on the open
 * descriptor (no window between the check and the read). O_NONBLOCK: opening a FIFO must not
 * wait for a writer (the check refuses it right after); it changes nothing for regular files.
 * Returns the descriptor; the caller owns it (readLineBlocks closes it).
 */
export function openRegularFile(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw cannotRead(file, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const what = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() ? 'a character device' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new IngestInputError(`${file}: ${what}; market data is read from regular files only`);
    }
    if (st.size > FILE_BYTES_MAX) throw new IngestInputError(`${file}: ${st.size} bytes (max ${FILE_BYTES_MAX})`);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** The first `bytes` of an open file as text (format detection), without moving any stream; a read error names `file`. */
export function headOfFd(fd: number, file: string, bytes = 4096): string {
  const buf = Buffer.alloc(bytes);
  const n = readChunk(fd, buf, 0, bytes, 0, file);
  return buf.subarray(0, n).toString('utf8');
}

/**
 * Chunks read between two turns of the event loop (1 MiB at the default chunk size): the reads
 * are synchronous (a regular file's chunk from the page cache costs microseconds, far less than
 * the thread-pool round trip and stream machinery of an fs.ReadStream: ~3x less CPU over the
 * hourly BTC/USD file), so timers and I/O of whoever else runs in the process are served this often.
 */
export const READ_CHUNKS_PER_TURN = 16;

/**
 * The lines of the open file `fd` (from offset 0), a block per chunk read, decoded as UTF-8 and
 * split where node:readline splits (crlfDelay Infinity): \n, \r\n and a lone \r end a line; a
 * last line without an end is still a line; a final line end does not start an empty one. A line
 * longer than LINE_LENGTH_MAX fails (IngestInputError naming file:line) as soon as it is seen, so
 * memory stays at one chunk plus one line whatever the file holds. Closes `fd` when done.
 */
export async function* readLineBlocks(fd: number, file: string, onBytes?: (bytes: number) => void, chunk_bytes = READ_CHUNK_BYTES): AsyncGenerator<LineBlock> {
  for await (const b of readLineSpans(fd, file, onBytes, chunk_bytes)) {
    if (b.lines !== null) {
      yield { first_line: b.first_line, lines: b.lines };
      continue;
    }
    // one string for the block's bytes, cut into lines (a string per line read from the bytes costs ~15 % more)
    const spans = b.spans!;
    const base = spans[0]!;
    const text = b.bytes!.toString('latin1', base, spans[2 * b.count - 1]!);
    const lines = new Array<string>(b.count);
    for (let i = 0; i < b.count; i++) lines[i] = text.slice(spans[2 * i]! - base, spans[2 * i + 1]! - base);
    yield { first_line: b.first_line, lines };
  }
}

/**
 * Consecutive lines of a file (readLineSpans), as strings or as spans of ASCII bytes: line
 * first_line + i is lines[i], or bytes[spans[2i], spans[2i + 1]) (one byte per character, which
 * is what the UTF-8 decoding of ASCII gives), read in place without a string per line. `bytes`
 * and `spans` are the reader's own buffers: valid until the next block is asked for.
 */
export interface LineSpans {
  readonly first_line: number;
  readonly count: number;
  readonly lines: string[] | null;
  readonly bytes: Buffer | null;
  readonly spans: Int32Array | null;
}

/**
 * readLineBlocks's lines, the same lines in the same blocks with the same refusals, as spans of
 * the bytes read while the file is ASCII (Kraken's files are): no decoding, no string per line
 * (the backtest's reader parses the bytes). The unfinished line of a chunk is moved to the front
 * of the buffer and the next chunk read after it, so a line is always contiguous. The first chunk
 * that is not all ASCII switches to decoding for the rest of the file (a fresh UTF-8 decoder, as
 * nothing before it was held back), its lines as strings.
 */
export async function* readLineSpans(fd: number, file: string, onBytes?: (bytes: number) => void, chunk_bytes = READ_CHUNK_BYTES): AsyncGenerator<LineSpans> {
  const name = basename(file);
  const tooLong = (line: number) => new IngestInputError(`${name}:${line}: line longer than ${LINE_LENGTH_MAX} characters (not a market data file?)`);
  // ASCII mode: buf[0, carried) is the unfinished line, the chunk is read after it.
  const buf = Buffer.allocUnsafe(chunk_bytes + LINE_LENGTH_MAX + 2);
  const sp: SpanBuffer = { spans: new Int32Array(SPANS_INITIAL) };
  let carried = 0;
  let decoder: StringDecoder | null = null; // set once a chunk is not all ASCII; a character split between two chunks is held back, as a utf8 stream does
  let bytesRead = 0;
  let carry = ''; // decoding mode: the unfinished line
  let next = 1; // number of the next line to emit
  try {
    for (let chunks = 1; ; chunks++) {
      const n = readChunk(fd, buf, carried, chunk_bytes, bytesRead, file);
      if (n === 0) break;
      bytesRead += n;
      if (onBytes) onBytes(bytesRead);
      if (decoder === null && isAscii(buf.subarray(carried, carried + n))) {
        const end = carried + n;
        const count = splitSpans(buf, end, sp);
        if (count < 0) throw tooLong(next - 1 - count);
        const spans = sp.spans;
        const rest = spans[2 * count]!;
        // A line still without its end can only grow: refuse it as soon as it is too long.
        if (end - rest > LINE_LENGTH_MAX + 1) throw tooLong(next + count);
        if (count > 0) {
          yield { first_line: next, count, lines: null, bytes: buf, spans };
          next += count;
        }
        carried = end - rest;
        buf.copyWithin(0, rest, end); // after the yield: the block's bytes are the consumer's until it asks for the next
      } else {
        if (decoder === null) {
          decoder = new StringDecoder('utf8');
          carry = buf.toString('latin1', 0, carried);
        }
        const chunk = decoder.write(buf.subarray(carried, carried + n));
        carried = 0;
        const text = carry.length > 0 ? carry + chunk : chunk;
        const lines: string[] = [];
        const start = splitLines(text, lines, () => tooLong(next + lines.length));
        carry = text.slice(start);
        if (carry.length > LINE_LENGTH_MAX + 1) throw tooLong(next + lines.length);
        if (lines.length > 0) {
          yield { first_line: next, count: lines.length, lines, bytes: null, spans: null };
          next += lines.length;
        }
      }
      if (chunks % READ_CHUNKS_PER_TURN === 0) await new Promise<void>((ok) => setImmediate(ok));
    }
    carry = decoder === null ? buf.toString('latin1', 0, carried) : carry + decoder.end();
    // The last line: ended by a \r held back above (even an empty one), or by the end of the file.
    const ended = carry.endsWith('\r');
    if (ended) carry = carry.slice(0, -1);
    if (carry.length > LINE_LENGTH_MAX) throw tooLong(next);
    if (ended || carry.length > 0) yield { first_line: next, count: 1, lines: [carry], bytes: null, spans: null };
  } finally {
    closeSync(fd);
  }
}

function readChunk(fd: number, buf: Buffer, offset: number, length: number, position: number, file: string): number {
  try {
    return readSync(fd, buf, offset, length, position);
  } catch (e) {
    throw cannotRead(file, e);
  }
}

/**
 * Pushes the complete lines of `text` onto `lines` and returns where the unfinished rest starts.
 * A \r at the very end may be half of a \r\n: it stays in the rest until the next chunk.
 */
function splitLines(text: string, lines: string[], tooLong: () => Error): number {
  let start = 0;
  if (text.indexOf('\r') < 0) {
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      if (nl - start > LINE_LENGTH_MAX) throw tooLong();
      lines.push(text.slice(start, nl));
      start = nl + 1;
    }
    return start;
  }
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch !== 10 && ch !== 13) continue;
    if (ch === 13 && i + 1 === text.length) break;
    if (i - start > LINE_LENGTH_MAX) throw tooLong();
    lines.push(text.slice(start, i));
    if (ch === 13 && text.charCodeAt(i + 1) === 10) i++;
    start = i + 1;
  }
  return start;
}

/** Line spans of a chunk: 4,096 lines to start with (a 64 KiB chunk of Kraken's hourly rows holds ~1,100), doubled when a chunk holds more. */
const SPANS_INITIAL = 2 * 4096;
interface SpanBuffer {
  spans: Int32Array;
}

/**
 * splitLines on ASCII bytes: the line spans of bytes[0, end) go into spans (start, end pairs) and
 * the count is returned, the start of the unfinished rest at spans[2 * count]; -1 - k when line k
 * (0-based) is longer than LINE_LENGTH_MAX. The same cuts as splitLines on the same text.
 */
function splitSpans(bytes: Buffer, end: number, sp: SpanBuffer): number {
  let start = 0;
  let k = 0;
  let spans = sp.spans;
  const grow = () => {
    const more = new Int32Array(spans.length * 2);
    more.set(spans);
    sp.spans = spans = more;
  };
  const text = bytes.subarray(0, end);
  if (text.indexOf(13) < 0) {
    for (let nl = text.indexOf(10); nl >= 0; nl = text.indexOf(10, start)) {
      if (nl - start > LINE_LENGTH_MAX) return -1 - k;
      if (2 * k + 2 >= spans.length) grow();
      spans[2 * k] = start;
      spans[2 * k + 1] = nl;
      k++;
      start = nl + 1;
    }
  } else {
    for (let i = 0; i < end; i++) {
      const ch = bytes[i]!;
      if (ch !== 10 && ch !== 13) continue;
      if (ch === 13 && i + 1 === end) break;
      if (i - start > LINE_LENGTH_MAX) return -1 - k;
      if (2 * k + 2 >= spans.length) grow();
      spans[2 * k] = start;
      spans[2 * k + 1] = i;
      k++;
      if (ch === 13 && bytes[i + 1] === 10) i++;
      start = i + 1;
    }
  }
  spans[2 * k] = start;
  return k;
}

/** Reads and decodes a Kraken REST payload: {error: [], result: {<pair>: [...], last}}. */
export function readPayload(file: string): { pair: string; rows: unknown[]; bytes: Buffer; last: unknown } {
  const size = fileSize(file);
  if (size > PAYLOAD_BYTES_MAX) throw new IngestInputError(`${file}: ${size} bytes; a REST payload is at most ${PAYLOAD_BYTES_MAX}`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw cannotRead(file, e);
  }
  return decodePayload(bytes, basename(file));
}

/** Decodes a Kraken REST payload's bytes (a file's, or a feed's HTTP body); `name` labels errors. */
export function decodePayload(bytes: Buffer, name: string): { pair: string; rows: unknown[]; bytes: Buffer; last: unknown } {
  const file = name;
  let doc: unknown;
  try {
    doc = parseJsonText(bytes.toString('utf8'), basename(file));
  } catch (e) {
    throw new IngestInputError((e as Error).message);
  }
  const d = doc as { error?: unknown; result?: Record<string, unknown> };
  if (Array.isArray(d?.error) && d.error.length > 0) throw new IngestInputError(`${basename(file)}: the payload carries Kraken errors ${JSON.stringify(d.error)}`);
  if (!d || typeof d.result !== 'object' || d.result === null) throw new IngestInputError(`${basename(file)}: expected {"error": [], "result": {...}} (a Kraken REST response)`);
  const pairs = Object.keys(d.result).filter((k) => k !== 'last');
  if (pairs.length !== 1) throw new IngestInputError(`${basename(file)}: expected exactly one pair in result, got ${JSON.stringify(pairs)}`);
  const rows = d.result[pairs[0]!];
  if (!Array.isArray(rows)) throw new IngestInputError(`${basename(file)}: result.${pairs[0]} is not an array`);
  return { pair: pairs[0]!, rows, bytes, last: d.result.last };
}

/** "60" / "60s" seconds, "1m", "5m", "1h", "4h", "1d", "1w" -> seconds, within series.ts's limits; else exit 64. */
export function parseInterval(text: string): number {
  const m = /^(\d{1,7})([smhdw]?)$/.exec(text);
  if (!m) throw new IngestInputError(`--interval ${JSON.stringify(text)}: expected e.g. 1m, 5m, 15m, 1h, 4h, 1d or a number of seconds`, 64);
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  const s = Number(m[1]) * mult;
  const bad = intervalProblem(s);
  if (bad !== null) throw new IngestInputError(`--interval ${JSON.stringify(text)}: ${bad}`, 64);
  return s;
}
