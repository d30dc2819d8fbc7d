/**
 * The file-system boundary for files a user names: profiles (--profile), book configs, small JSON
 * payloads (--pairs, --compare), and output files (--report, --out). One rule each, so no command
 * reads /dev/zero until memory runs out, waits forever on a FIFO, or fails half-way with a raw
 * EISDIR / ENOSPC after doing its work:
 *   - readSmallFile: a regular file only (checked on the open descriptor, opened O_NONBLOCK so a
 *     FIFO cannot block the open), at most `bytes_max` bytes, read whole.
 *   - checkOutputPath: before the work starts, the path must be usable (not "", not a directory or
 *     a device, its folder a directory or creatable).
 *   - writeFileAtomic: a temporary file beside the target, renamed over it at the end; a failed
 *     write (disk full, I/O error) leaves nothing behind.
 * Errors are FileInputError carrying the exit code the caller chose (64 for a command-line path,
 * 65 for a data file, 78 for a configuration file) or 74 for a failed write, and a message
 * naming the option/variable, the path and why.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EXIT } from '../exit-codes.js';

export class FileInputError extends Error {
  override readonly name = 'FileInputError';
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() ? 'a character device'
    : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a regular file';
}

const reason = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/**
 * The whole text (UTF-8) of a regular file of at most `bytesMax` bytes. `what` names it in errors,
 * e.g. "--profile config/x.env"; `exitCode` is what a bad file means for the caller.
 */
export function readSmallFile(path: string, bytesMax: number, what: string, exitCode: number): string {
  if (path === '') throw new FileInputError(`${what}: the path is empty`, exitCode);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new FileInputError(`${what}: cannot read it (${reason(e)})`, exitCode);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileInputError(`${what}: ${kindOf(st)}, not a regular file`, exitCode);
    if (st.size > bytesMax) throw new FileInputError(`${what}: ${st.size} bytes (at most ${bytesMax})`, exitCode);
    const buf = Buffer.alloc(st.size + 1); // one more: a file that grew since fstat is refused, not truncated
    let n = 0;
    for (let r = -1; r !== 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, n);
    if (n > bytesMax) throw new FileInputError(`${what}: more than ${bytesMax} bytes`, exitCode);
    return buf.subarray(0, n).toString('utf8');
  } catch (e) {
    if (e instanceof FileInputError) throw e;
    throw new FileInputError(`${what}: cannot read it (${reason(e)})`, exitCode);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks, before any work, that `path` can be written: not empty, not a directory or anything
 * but a regular file, and its nearest existing ancestor a directory (the missing folders are
 * created when writing). Throws FileInputError (exit 64: a command-line argument).
 */
export function checkOutputPath(path: string, what: string): void {
  if (path === '') throw new FileInputError(`${what}: the path is empty`, EXIT.usage);
  const abs = resolve(path);
  try {
    const st = statSync(abs);
    if (!st.isFile()) throw new FileInputError(`${what} ${path}: ${kindOf(st)}; expected a file path to write`, EXIT.usage);
    return;
  } catch (e) {
    if (e instanceof FileInputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new FileInputError(`${what} ${path}: cannot use it (${reason(e)})`, EXIT.usage);
  }
  for (let dir = dirname(abs); ; dir = dirname(dir)) {
    try {
      const st = statSync(dir);
      if (!st.isDirectory()) throw new FileInputError(`${what} ${path}: ${dir} is ${st.isFile() ? 'a file' : kindOf(st)}, not a directory`, EXIT.usage);
      return;
    } catch (e) {
      if (e instanceof FileInputError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(dir) === dir) throw new FileInputError(`${what} ${path}: cannot use it (${reason(e)})`, EXIT.usage);
    }
  }
}

/** An output file being written: `write` appends, `commit` renames it into place, `abort` removes it. */
export interface AtomicWriter {
  write(text: string): void;
  /** Renames the finished file over the target; returns the absolute path. */
  commit(): string;
  /** Removes the temporary file (a no-op after commit). */
  abort(): void;
}

/**
 * Starts writing `path` (its folder created) through a temporary file beside it: the target is
 * either the whole new text (after commit) or untouched. Throws FileInputError: 64 for a path
 * that cannot be used (checked first), 74 when creating or writing fails (disk full, I/O error),
 * after removing the temporary file.
 */
export function openAtomicWriter(path: string, what: string): AtomicWriter {
  checkOutputPath(path, what);
  const abs = resolve(path);
  const tmp = `${abs}.${process.pid}.tmp`;
  let fd: number | null = null;
  let done = false;
  const abort = () => {
    if (done) return;
    done = true;
    if (fd !== null) closeSync(fd);
    fd = null;
    rmSync(tmp, { force: true });
  };
  const failed = (e: unknown): never => {
    abort();
    throw new FileInputError(`${what} ${path}: cannot write it (${reason(e)}); nothing was written`, EXIT.io);
  };
  try {
    mkdirSync(dirname(abs), { recursive: true });
    fd = openSync(tmp, 'w', 0o644);
  } catch (e) {
    failed(e);
  }
  return {
    write(text) {
      try {
        const bytes = Buffer.from(text, 'utf8');
        for (let n = 0; n < bytes.length;) n += writeSync(fd!, bytes, n, bytes.length - n);
      } catch (e) {
        failed(e);
      }
    },
    commit() {
      try {
        closeSync(fd!);
        fd = null;
        renameSync(tmp, abs);
        done = true;
      } catch (e) {
        failed(e);
      }
      return abs;
    },
    abort,
  };
}

/** Writes `text` to `path` whole or not at all (openAtomicWriter); returns the absolute path. */
export function writeFileAtomic(path: string, text: string, what: string): string {
  const w = openAtomicWriter(path, what);
  w.write(text);
  return w.commit();
}
