/**
 * The operator copy of snapshots: each snapshot the runtime records in the store is also written
 * to WARDEN_SNAPSHOT_DIR/<stream>/<seq>.json as canonical JSON (write to a temp file, fsync,
 * rename: a reader never sees half a file). The store's snapshots table stays the authority:
 * restore never reads these files. They exist for offsite copies and for people to inspect.
 * Only the newest SNAPSHOT_FILES_KEPT_MAX files per stream are kept.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalBytes, type CanonicalValue } from '../core/canonical/index.js';

export const SNAPSHOT_FILES_KEPT_MAX = 10;
const FILE_RE = /^\d{16}\.json$/;

export interface SnapshotFile {
  stream: string;
  seq: number;
  kind: string;
  codec: string;
  state: CanonicalValue;
  /** sha256 over the state's canonical bytes with the book state domain tag (what the logs show). */
  state_hash: string;
  /** The event chain hash at seq. */
  head_hash: string;
}

export function streamDir(root: string, stream: string): string {
  return join(root, stream.replace(/[^a-z0-9_.-]/g, '_'));
}

/** Checks (at start-up) that the directory exists or can be created, and is writable. */
export function checkSnapshotDir(root: string): void {
  mkdirSync(root, { recursive: true });
  const probe = join(root, `.write-probe-${process.pid}`);
  const fd = openSync(probe, 'w');
  closeSync(fd);
  unlinkSync(probe);
}

export function writeSnapshotFile(root: string, snap: SnapshotFile): string {
  const dir = streamDir(root, snap.stream);
  mkdirSync(dir, { recursive: true });
  const name = `${String(snap.seq).padStart(16, '0')}.json`;
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, canonicalBytes(snap as unknown as CanonicalValue));
    writeSync(fd, '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const path = join(dir, name);
  renameSync(tmp, path);
  const files = readdirSync(dir).filter((f) => FILE_RE.test(f)).sort();
  for (const old of files.slice(0, Math.max(0, files.length - SNAPSHOT_FILES_KEPT_MAX))) rmSync(join(dir, old), { force: true });
  return path;
}
