/**
 * File-drop feed: market data files put into a folder are ingested through the gate (exactly
 * `warden ingest FILE`: each file one atomic batch), then moved aside with a report beside them:
 *   <dir>/done/NAME + NAME.report.json       accepted (or the same bytes were already ingested)
 *   <dir>/rejected/NAME + NAME.report.json   refused by the gate (violations with file:line) or
 *                                            unreadable as market data (the reason)
 * A file is taken only once it has stopped changing: the same size and mtime on two polls and
 * an mtime at least settle_ms old (a copy in progress is left alone). Hidden files and names
 * ending .part/.tmp/.partial are ignored (write there, then rename into the folder). A store
 * failure leaves the file where it is and is retried with backoff; a refused file does not stop
 * the feed (it is moved to rejected/ and the next file is taken).
 */
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BatchRejectedError, IngestInputError } from '../ingest/errors.js';
import { ingestFile, type IngestOptions } from '../ingest/ingest.js';
import { Feed, type FeedContext } from './feed.js';

/** Limits: files looked at per poll (the rest wait for the next). */
export const FILE_DROP_FILES_PER_POLL_MAX = 1_000;
const IGNORED_RE = /^\.|\.(part|tmp|partial|report\.json)$/i;

export interface FileDropOptions {
  dir: string;
  poll_ms: number;
  settle_ms: number;
  /** Take what is there now (settled by mtime alone), then stop: `warden feed file-drop --once`. */
  once?: boolean;
  ingest?: Omit<IngestOptions, 'onProgress'>;
}

export class FileDropFeed extends Feed {
  readonly kind = 'file-drop' as const;
  private seen = new Map<string, string>();
  readonly moved: Array<{ file: string; to: 'done' | 'rejected' }> = [];

  constructor(name: string, ctx: FeedContext, readonly opts: FileDropOptions) {
    super(name, ctx);
  }

  protected async loop(signal: AbortSignal): Promise<void> {
    for (const sub of ['done', 'rejected']) mkdirSync(join(this.opts.dir, sub), { recursive: true });
    let attempt = 0;
    while (!signal.aborted) {
      try {
        await this.poll(signal);
        attempt = 0;
        this.setState('running');
      } catch (e) {
        if (signal.aborted) return;
        attempt++;
        if (!(await this.retryAfter(attempt, `store: ${(e as Error).message}`, signal))) return;
        continue;
      }
      if (this.opts.once) return;
      if (!(await this.clock.sleep(this.opts.poll_ms, signal))) return;
    }
  }

  /** The files ready to take now, by name. */
  private ready(): string[] {
    const now = this.clock.now();
    const out: string[] = [];
    const names = readdirSync(this.opts.dir, { withFileTypes: true }).filter((d) => d.isFile() && !IGNORED_RE.test(d.name)).map((d) => d.name).sort();
    const current = new Map<string, string>();
    for (const name of names.slice(0, FILE_DROP_FILES_PER_POLL_MAX)) {
      let st;
      try {
        st = statSync(join(this.opts.dir, name));
      } catch {
        continue; // gone meanwhile
      }
      const sig = `${st.size}:${st.mtimeMs}`;
      current.set(name, sig);
      // mtimeMs has sub-ms digits and Date.now() does not: a file written this very millisecond is 0 ms old, not negative
      const settled = now - Math.floor(st.mtimeMs) >= this.opts.settle_ms;
      if (settled && (this.opts.once || this.seen.get(name) === sig)) out.push(name);
    }
    this.seen = current;
    return out;
  }

  private async poll(signal: AbortSignal): Promise<void> {
    for (const name of this.ready()) {
      if (signal.aborted) return;
      const path = join(this.opts.dir, name);
      try {
        const r = await ingestFile(this.db, path, this.opts.ingest ?? {});
        this.noteBatch(r, { file: name });
        this.moveAside(name, 'done', r);
      } catch (e) {
        if (e instanceof BatchRejectedError) {
          this.noteError(`${name}: ${e.message}`);
          this.log.warn({ event: 'feed_rejected', kind: this.kind, file: name, status: e.report.status, batch_id: e.report.batch_id, violations: e.report.violations_total, first: e.report.violations[0] ?? null });
          this.moveAside(name, 'rejected', e.report);
        } else if (e instanceof IngestInputError) {
          this.noteError(`${name}: ${e.message}`);
          this.log.warn({ event: 'feed_rejected', kind: this.kind, file: name, reason: e.message });
          this.moveAside(name, 'rejected', { source: name, status: 'unreadable', reason: e.message });
        } else throw e;
      }
    }
  }

  private moveAside(name: string, to: 'done' | 'rejected', report: unknown): void {
    const dir = join(this.opts.dir, to);
    let target = name;
    for (let n = 1; existsSync(join(dir, target)); n++) target = `${name}.${n}`;
    writeFileSync(join(dir, `${target}.report.json`), JSON.stringify(report, null, 2) + '\n');
    renameSync(join(this.opts.dir, name), join(dir, target));
    this.seen.delete(name);
    this.moved.push({ file: name, to });
    this.log.info({ event: 'feed_file_moved', kind: this.kind, file: name, to: join(to, target) });
  }
}
