/**
 * The CLI's side of the operator channel (./operator-channel.ts): an OperatorPort that asks the
 * running runtime holding an embedded store, with the token of its operator file. `findChannel`
 * decides whether to use it: only when the store's lock is held by a live process other than this
 * one AND an operator file is there (checked by readOperatorFile: 0600, yours, written by the
 * holder; refused with the reason otherwise). With no live holder the CLI opens the store itself
 * (a stale file is ignored); a live holder without a file (another CLI command) is reported by
 * opening the store (exit 75 naming the holder), as before.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { resolve } from 'node:path';
import type { CanonicalValue } from '../core/canonical/index.js';
import { GovernanceError, OperatorChannelError } from '../governance/errors.js';
import type { DirectiveRecord } from '../governance/directives.js';
import type { DirectiveStatus } from '../governance/limits.js';
import type { BookSkills } from '../skills/read.js';
import type { BookStatus, DirectiveList, InboxOutcome, OperatorPort, StreamView } from '../governance/operator.js';
import type { EpochView } from '../governance/epochs.js';
import { isAlive, readLock } from '../store/lockfile.js';
import { operatorFilePath, readOperatorFile, type OperatorFile } from './operator-file.js';

export const CLIENT_TIMEOUT_MS = 30_000;

/** The channel to use for the embedded store at `dir`, or null: open the store directly. */
export function findChannel(dir: string): ChannelClient | null {
  const holder = readLock(`${resolve(dir)}.lock`);
  if (holder === null || holder.pid === process.pid || !isAlive(holder.pid)) return null;
  const file = operatorFilePath(dir);
  if (!existsSync(file)) return null;
  return new ChannelClient(readOperatorFile(file, holder.pid), file);
}

export class ChannelClient implements OperatorPort {
  readonly via: string;
  readonly exclusive = false;

  constructor(private readonly info: OperatorFile, private readonly file: string) {
    this.via = `the operator channel of the runtime holding the store (pid ${info.pid}, 127.0.0.1:${info.port})`;
  }

  private call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolvePromise, reject) => {
      const req = request({
        host: '127.0.0.1', port: this.info.port, method, path, agent: false, timeout: CLIENT_TIMEOUT_MS,
        headers: { authorization: `Bearer ${this.info.token}`, ...(data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            return reject(new OperatorChannelError(`the operator channel at 127.0.0.1:${this.info.port} answered ${res.statusCode ?? '?'} with something that is not JSON: is it the runtime's (pid ${this.info.pid})?`));
          }
          const status = res.statusCode ?? 0;
          if (status === 200) return resolvePromise(parsed as T);
          const err = parsed as { error?: unknown; exit_code?: unknown };
          if (status === 401) {
            return reject(new OperatorChannelError(`the runtime (pid ${this.info.pid}) refused the token of ${this.file}: the file is not the one it wrote (forged or stale); restart the runtime to write a fresh one`));
          }
          const code = typeof err.exit_code === 'number' ? err.exit_code : 70;
          reject(new GovernanceError(`${String(err.error ?? `status ${status}`)} (answered by the runtime, pid ${this.info.pid})`, code));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${CLIENT_TIMEOUT_MS} ms`)));
      req.on('error', (e) => reject(e instanceof GovernanceError ? e : new OperatorChannelError(
        `cannot reach the operator channel of the runtime (pid ${this.info.pid}) at 127.0.0.1:${this.info.port} named by ${this.file}: ${e.message}`,
      )));
      req.end(data);
    });
  }

  private base(stream: string): string {
    return `/v1/streams/${encodeURIComponent(stream)}`;
  }

  streamView(stream: string): Promise<StreamView> {
    return this.call('GET', this.base(stream));
  }

  bookStatus(stream: string): Promise<BookStatus> {
    return this.call('GET', `${this.base(stream)}/status`);
  }

  appendInbox(stream: string, command: string, payload: CanonicalValue, issuedBy: string): Promise<{ inbox_id: number }> {
    return this.call('POST', `${this.base(stream)}/inbox`, { command, payload, issued_by: issuedBy });
  }

  listDirectives(stream: string, q: { status?: DirectiveStatus; limit: number }): Promise<DirectiveList> {
    const qs = new URLSearchParams({ limit: String(q.limit), ...(q.status ? { status: q.status } : {}) });
    return this.call('GET', `${this.base(stream)}/directives?${qs.toString()}`);
  }

  showDirective(stream: string, id: string): Promise<DirectiveRecord | null> {
    return this.call('GET', `${this.base(stream)}/directives/${encodeURIComponent(id)}`);
  }

  epochView(stream: string): Promise<EpochView> {
    return this.call('GET', `${this.base(stream)}/epoch`);
  }

  inboxOutcome(stream: string, inboxId: number, afterSeq: number): Promise<{ outcome: InboxOutcome | null; after_seq: number }> {
    return this.call('GET', `${this.base(stream)}/inbox/${inboxId}/outcome?after_seq=${afterSeq}`);
  }

  bookSkills(stream: string): Promise<BookSkills> {
    return this.call('GET', `${this.base(stream)}/skills`);
  }
}
