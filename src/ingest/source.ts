/**
 * Reading ingestion sources from disk: format detection, the source's sha256, and streaming
 * lines with their numbers (node:readline; memory bounded by one line). JSON payloads (Kraken
 * REST responses, at most a few hundred KB) are read whole, under a size limit.
 */
import { createHash } from 'node:crypto';
import { createReadStream, openSync, readSync, closeSync, statSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { IngestInputError } from './errors.js';

export const FORMATS = ['kraken-ohlcvt', 'ohlcv-csv', 'kraken-trades', 'kraken-rest-ohlc', 'kraken-rest-trades'] as const;
export type IngestFormat = (typeof FORMATS)[number];

/** Limits. */
export const LINE_LENGTH_MAX = 4096;
export const FILE_BYTES_MAX = 4 * 1024 ** 3;
export const PAYLOAD_BYTES_MAX = 64 * 1024 ** 2;

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function fileSize(file: string): number {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new IngestInputError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!st.isFile()) throw new IngestInputError(`${file}: not a regular file`);
  if (st.size > FILE_BYTES_MAX) throw new IngestInputError(`${file}: ${st.size} bytes (max ${FILE_BYTES_MAX})`);
  return st.size;
}

function head(file: string, bytes = 512): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Guesses the format from the name and first bytes; the caller may override with --format. */
export function detectFormat(file: string): IngestFormat {
  const text = head(file, 4096).trimStart();
  if (text.startsWith('{')) {
    // Kraken REST: OHLC rows start with an integer time, Trades rows with a price string.
    return /"result"\s*:\s*\{\s*"[^"]+"\s*:\s*\[\s*\[\s*\d/.test(text) ? 'kraken-rest-ohlc' : 'kraken-rest-trades';
  }
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  if (/[a-df-z]/i.test(first.replace(/e[+-]?\d/gi, ''))) return 'ohlcv-csv';
  const n = first.split(',').length;
  if (n === 7) return 'kraken-ohlcvt';
  if (n === 3) return 'kraken-trades';
  throw new IngestInputError(`${basename(file)}: cannot tell the format from its first line (${n} fields); pass --format`);
}

/** Streams lines with 1-based numbers; `onBytes` gets the bytes read so far (progress). */
export async function* readLines(file: string, onBytes?: (bytes: number) => void): AsyncGenerator<{ line: number; text: string }> {
  const stream = createReadStream(file);
  let bytes = 0;
  if (onBytes) stream.on('data', (c) => { bytes += c.length; onBytes(bytes); });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (text.length > LINE_LENGTH_MAX) throw new IngestInputError(`${basename(file)}:${line}: line longer than ${LINE_LENGTH_MAX} characters (not a market data file?)`);
      yield { line, text };
    }
  } finally {
    rl.close();
    stream.destroy();
  }
}

/** Reads and decodes a Kraken REST payload: {error: [], result: {<pair>: [...], last}}. */
export function readPayload(file: string): { pair: string; rows: unknown[]; bytes: Buffer } {
  const size = fileSize(file);
  if (size > PAYLOAD_BYTES_MAX) throw new IngestInputError(`${file}: ${size} bytes; a REST payload is at most ${PAYLOAD_BYTES_MAX}`);
  const bytes = readFileSync(file);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new IngestInputError(`${basename(file)}: not valid JSON (${(e as Error).message})`);
  }
  const d = doc as { error?: unknown; result?: Record<string, unknown> };
  if (Array.isArray(d?.error) && d.error.length > 0) throw new IngestInputError(`${basename(file)}: the payload carries Kraken errors ${JSON.stringify(d.error)}`);
  if (!d || typeof d.result !== 'object' || d.result === null) throw new IngestInputError(`${basename(file)}: expected {"error": [], "result": {...}} (a Kraken REST response)`);
  const pairs = Object.keys(d.result).filter((k) => k !== 'last');
  if (pairs.length !== 1) throw new IngestInputError(`${basename(file)}: expected exactly one pair in result, got ${JSON.stringify(pairs)}`);
  const rows = d.result[pairs[0]!];
  if (!Array.isArray(rows)) throw new IngestInputError(`${basename(file)}: result.${pairs[0]} is not an array`);
  return { pair: pairs[0]!, rows, bytes };
}

/** "60" / "60s" seconds, "1m", "5m", "1h", "4h", "1d", "1w" -> seconds. */
export function parseInterval(text: string): number {
  const m = /^(\d{1,6})([smhdw]?)$/.exec(text.trim());
  if (!m) throw new IngestInputError(`--interval ${JSON.stringify(text)}: expected e.g. 1m, 5m, 15m, 1h, 4h, 1d or a number of seconds`);
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  const s = Number(m[1]) * mult;
  if (s <= 0) throw new IngestInputError(`--interval ${text}: must be positive`);
  return s;
}
