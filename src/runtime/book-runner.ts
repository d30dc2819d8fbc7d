/**
 * Runs one book after restore: applies commands as steps (decide -> append in ONE transaction ->
 * evolve only after the commit), one step at a time; writes snapshots every N events and on
 * stop; renews the writer lease; polls the operator inbox. Generic over the BookKernel seam.
 *
 * Failure policy (crash-only): a failed write, a lost lease or an unverifiable snapshot stops all
 * writing and is reported through onFatal (the caller logs and exits); restart recovers, and by
 * determinism recomputes the same events. Read-only failures (an inbox poll, a lease renewal) are
 * logged and retried, but a lease not renewed for a whole ttl counts as lost.
 */
import type { BookKernel, RuntimeCommand } from '../core/book/index.js';
import { stateHashHex } from '../core/book/index.js';
import { toHex, type Hash } from '../core/canonical/hash.js';
import type { EventStore, Lease } from '../store/event-store.js';
import { LeaseError } from '../store/errors.js';
import type { Logger } from '../telemetry/logger.js';
import { exitCodeOf, RUNTIME_EXIT } from './exit-codes.js';
import type { Restored } from './restore.js';
import { writeSnapshotFile } from './snapshot-files.js';

export const INBOX_POLL_INTERVAL_MS = 250;
export const INBOX_BATCH_MAX = 100;

export interface RunnerOptions {
  log: Logger;
  snapshotEveryEvents: number;
  snapshotDir: string;
  leaseTtlMs: number;
  /** Called once when the runner must stop writing; the caller exits with exitCode. */
  onFatal: (event: 'lease_lost' | 'runtime_failed', reason: string, exitCode: number) => void;
}

export class BookRunner<S> {
  state: S;
  seq: number;
  headHash: Hash;
  lastSnapshotSeq: number;
  private chain: Promise<unknown> = Promise.resolve();
  private verifiedLogged = false;
  private failed = false;
  private stopping = false;
  private timers: NodeJS.Timeout[] = [];
  private lastRenewOkMs = Date.now();

  constructor(
    private readonly store: EventStore,
    readonly lease: Lease,
    private readonly kernel: BookKernel<S>,
    private readonly restored: Restored<S>,
    private readonly opts: RunnerOptions,
  ) {
    this.state = restored.state;
    this.seq = restored.seq;
    this.headHash = restored.head_hash;
    this.lastSnapshotSeq = restored.snapshot_seq ?? 0;
  }

  get stateHash(): string {
    return stateHashHex(this.kernel.codec, this.state);
  }

  /** Steps never interleave: each waits for the one before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Applies one command as one step; returns the number of events written. */
  step(command: RuntimeCommand): Promise<number> {
    return this.serial(() => this.applyStep(command));
  }

  private async applyStep(command: RuntimeCommand): Promise<number> {
    if (this.failed) throw new Error('the runner stopped writing after a fatal error');
    if (!this.verifiedLogged) {
      const t0 = performance.now();
      const v = await this.restored.verified; // rejects (IntegrityError) if the snapshot is bad
      this.verifiedLogged = true;
      if (this.restored.snapshot_seq !== null) {
        this.opts.log.info({ event: 'snapshot_verified', snapshot_seq: this.restored.snapshot_seq, events_folded: v.events_folded, waited_ms: Math.round(performance.now() - t0) });
      }
    }
    const events = this.kernel.decider.decide(command, this.state);
    if (events.length === 0) return 0;
    let stored;
    try {
      stored = await this.store.append(this.lease, this.seq, events);
    } catch (e) {
      this.fail(e instanceof LeaseError ? 'lease_lost' : 'runtime_failed', `append failed, nothing of this step was written: ${(e as Error).message}`, exitCodeOf(e));
      throw e;
    }
    let s = this.state;
    for (const e of stored) s = this.kernel.decider.evolve(s, e);
    const from = this.seq + 1;
    this.state = s;
    this.seq = stored[stored.length - 1]!.seq;
    this.headHash = stored[stored.length - 1]!.hash;
    this.opts.log.info({ event: 'step_committed', command: command.kind, seq_from: from, seq_to: this.seq, types: stored.map((e) => e.type), state_hash: this.stateHash });
    if (this.seq - this.lastSnapshotSeq >= this.opts.snapshotEveryEvents) await this.writeSnapshot('periodic');
    return stored.length;
  }

  private async writeSnapshot(kind: 'periodic' | 'shutdown'): Promise<void> {
    const encoded = this.kernel.codec.encode(this.state);
    try {
      await this.store.saveSnapshot(this.lease, this.seq, encoded, `${kind}:${this.kernel.codec.name}`);
    } catch (e) {
      this.fail(e instanceof LeaseError ? 'lease_lost' : 'runtime_failed', `snapshot at seq ${this.seq} failed: ${(e as Error).message}`, exitCodeOf(e));
      throw e;
    }
    this.lastSnapshotSeq = this.seq;
    let file: string | null = null;
    try {
      file = writeSnapshotFile(this.opts.snapshotDir, {
        stream: this.lease.stream, seq: this.seq, kind, codec: this.kernel.codec.name, state: encoded,
        state_hash: this.stateHash, head_hash: toHex(this.headHash),
      });
    } catch (e) {
      this.opts.log.warn({ event: 'snapshot_file_failed', seq: this.seq, dir: this.opts.snapshotDir, reason: (e as Error).message });
    }
    this.opts.log.info({ event: 'snapshot_written', kind, seq: this.seq, state_hash: this.stateHash, file });
  }

  private fail(event: 'lease_lost' | 'runtime_failed', reason: string, exitCode: number): void {
    if (this.failed) return;
    this.failed = true;
    this.clearTimers();
    this.opts.onFatal(event, reason, exitCode);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  /** Lease renewal every third of the ttl, and the inbox poll. */
  startLoops(): { lease_renew_interval_ms: number; inbox_poll_interval_ms: number } {
    const renewEvery = Math.floor(this.opts.leaseTtlMs / 3);
    this.lastRenewOkMs = Date.now();
    this.timers.push(setInterval(() => void this.renew(), renewEvery));
    this.scheduleInbox();
    return { lease_renew_interval_ms: renewEvery, inbox_poll_interval_ms: INBOX_POLL_INTERVAL_MS };
  }

  private async renew(): Promise<void> {
    if (this.failed || this.stopping) return;
    try {
      await this.store.renewLease(this.lease, this.opts.leaseTtlMs);
      this.lastRenewOkMs = Date.now();
    } catch (e) {
      if (e instanceof LeaseError) return this.fail('lease_lost', e.message, RUNTIME_EXIT.held);
      const silentMs = Date.now() - this.lastRenewOkMs;
      this.opts.log.warn({ event: 'lease_renew_failed', reason: (e as Error).message, since_last_renewal_ms: silentMs });
      if (silentMs >= this.opts.leaseTtlMs) {
        this.fail('lease_lost', `the lease could not be renewed for ${silentMs} ms (ttl ${this.opts.leaseTtlMs} ms); another runtime may hold it now`, RUNTIME_EXIT.held);
      }
    }
  }

  private scheduleInbox(): void {
    if (this.failed || this.stopping) return;
    const t = setTimeout(() => {
      this.timers = this.timers.filter((x) => x !== t);
      void this.serial(() => this.pollInbox()).catch(() => undefined).finally(() => this.scheduleInbox());
    }, INBOX_POLL_INTERVAL_MS);
    this.timers.push(t);
  }

  private async pollInbox(): Promise<void> {
    if (this.failed || this.stopping) return;
    let commands;
    try {
      commands = await this.store.inboxRead(this.lease.stream, this.kernel.view(this.state).last_inbox_id, INBOX_BATCH_MAX);
    } catch (e) {
      this.opts.log.warn({ event: 'inbox_poll_failed', reason: (e as Error).message });
      return;
    }
    for (const c of commands) {
      if (this.failed || this.stopping) return; // stop taking input; the rest waits for the next start
      const n = await this.applyStep({
        kind: 'operator.command', time_ms: Date.parse(c.received_at), inbox_id: c.id, command: c.command, payload: c.payload, issued_by: c.issued_by,
      });
      this.opts.log.info({ event: 'inbox_command_processed', inbox_id: c.id, command: c.command, issued_by: c.issued_by, events: n, status: this.kernel.view(this.state).status });
    }
  }

  /**
   * Clean stop: no new input; waits for the step in flight; records runtime.stopped, writes the
   * shutdown snapshot and releases the lease.
   */
  async stop(reason: string): Promise<void> {
    this.stopping = true;
    this.clearTimers();
    await this.serial(async () => {
      await this.applyStep({ kind: 'runtime.stop', time_ms: Date.now(), reason });
      if (this.seq !== this.lastSnapshotSeq) await this.writeSnapshot('shutdown');
    });
    await this.store.releaseLease(this.lease);
  }

  /** Stops the loops without writing (fatal path or a forced exit). */
  halt(): void {
    this.stopping = true;
    this.clearTimers();
  }
}
