/**
 * The operator channel's rendezvous file, `<data dir>.operator.json` beside an embedded (PGlite)
 * store's directory and its `.lock`: the running runtime writes it (mode 0600: pid, loopback port,
 * bearer token) once its channel listens, and removes it at a clean shutdown. The CLI reads it
 * only when the store's lock is held by a live process, and refuses it, saying why, unless it is a
 * regular file of the CLI's own user with no group/other permission bits, written by the very
 * process that holds the lock. A file left by a crash is simply stale: the next runtime replaces it.
 */
import { closeSync, fchmodSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from '../core/zod.js';
import { OperatorChannelError } from '../governance/errors.js';
import { isAlive } from '../store/lockfile.js';

export const OPERATOR_FILE_VERSION = 1;
export const OPERATOR_FILE_MODE = 0o600;

const fileSchema = z.object({
  version: z.literal(OPERATOR_FILE_VERSION),
  pid: z.number().int().positive(),
  host: z.literal('127.0.0.1'),
  port: z.number().int().min(1).max(65535),
  token: z.string().regex(/^[0-9a-f]{64}$/),
  stream: z.string().max(4096), // the streams the runtime runs, comma-separated (informative: the channel routes by the stream in the URL)
  started_at: z.string().max(64),
});
export type OperatorFile = z.infer<typeof fileSchema>;

/** `<absolute data dir>.operator.json` (as the lock file is `<absolute data dir>.lock`). */
export function operatorFilePath(dir: string): string {
  return `${resolve(dir)}.operator.json`;
}

/** Writes the file whole or not at all: a 0600 temp file of this pid, renamed over any stale one. */
export function writeOperatorFile(path: string, info: OperatorFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', OPERATOR_FILE_MODE);
  try {
    fchmodSync(fd, OPERATOR_FILE_MODE); // the mode of an existing temp file, and whatever the umask left
    writeSync(fd, JSON.stringify(info) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Removes the file if this process wrote it (never another runtime's). */
export function removeOperatorFile(path: string, pid = process.pid): void {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    if (info.pid === pid) unlinkSync(path);
  } catch {
    // gone already, or not ours to judge: leave it
  }
}

/**
 * Reads and checks the file for a store whose lock `holderPid` holds (alive). Throws
 * OperatorChannelError (exit 75) naming the file and the reason to refuse it.
 */
export function readOperatorFile(path: string, holderPid: number): OperatorFile {
  const refuse = (why: string): never => {
    throw new OperatorChannelError(`refusing the operator channel file ${path}: ${why}. The store is held by pid ${holderPid}; stop it, or restart it to write a fresh file`);
  };
  const st = lstatSync(path);
  if (!st.isFile()) refuse('it is not a regular file (a symlink?)');
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) refuse(`its mode is 0${mode.toString(8)}, not 0600 (anyone who can read it can command the book)`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) refuse(`it belongs to uid ${st.uid}, not to you (uid ${process.getuid()})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return refuse(`it is not JSON (${(e as Error).message})`);
  }
  const r = fileSchema.safeParse(parsed);
  if (!r.success) return refuse(`field ${r.error.issues[0]!.path.join('.') || '(root)'}: ${r.error.issues[0]!.message}`);
  const info = r.data;
  if (!isAlive(info.pid)) refuse(`it was written by pid ${info.pid}, which is not running (stale)`);
  if (info.pid !== holderPid) refuse(`it was written by pid ${info.pid}, not by the store's holder (stale or forged)`);
  return info;
}
