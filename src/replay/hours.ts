/**
 * A book's log, hour by hour: what `replay hour`, `replay window` and `replay manifest` show.
 *
 * An hour entry covers the consecutive steps of one evaluation hour (steps.ts hourOf: the market
 * tick the book last processed; "before the first tick" is the null hour) and holds:
 *   inputs_hash  sha256 over the canonical JSON of each step's rebuilt command, one per line
 *   events_hash  sha256 over the chain hashes of the hour's events, in seq order
 *   state_hash   the book's state hash after the hour's last step
 *   chain_head   the chain hash of the hour's last event
 * A manifest is the list of entries plus an RFC 6962 Merkle root over them (leaf = the entry's
 * canonical JSON), so two stores compare by root, then hour by hour (compareManifests).
 *
 * startBefore picks where a window begins folding: the newest snapshot whose state is before the
 * window (market kernels; a snapshot always sits between steps), else genesis.
 */
import { createHash, type Hash as NodeHash } from 'node:crypto';
import { toHex } from '../core/canonical/hash.js';
import { canonicalBytes, type CanonicalValue } from '../core/canonical/index.js';
import type { BookKernel, BookState, RuntimeCommand } from '../core/book/index.js';
import type { StoredEvent } from '../core/events/index.js';
import type { EventStore } from '../store/event-store.js';
import type { ReplayInputs } from './inputs.js';
import { MerkleTree } from './merkle.js';
import { reexecute, type ReexecutedStep, type ReexecuteResult } from './reexecute.js';
import { commandValue, hourStart } from './steps.js';

export const MANIFEST_FORMAT = 'warden.replay.manifest.v1';
const NEWLINE = new Uint8Array([10]);

export interface HourEntry {
  hour: string | null;
  seq_from: number;
  seq_to: number;
  steps: number;
  events: number;
  inputs_hash: string;
  events_hash: string;
  state_hash: string;
  chain_head: string;
}

export const hourLabel = (hour_ms: number | null): string | null => (hour_ms === null ? null : new Date(hour_ms).toISOString());

/** Folds steps into hour entries; calls onHour as each hour closes (bounded memory). */
export class HourAggregator {
  private cur: { hour_ms: number | null; entry: Omit<HourEntry, 'inputs_hash' | 'events_hash'>; inputs: NodeHash; events: NodeHash } | null = null;

  constructor(private readonly kernel: BookKernel, private readonly onHour: (h: HourEntry, hour_ms: number | null) => void | Promise<void>) {}

  async add(step: ReexecutedStep): Promise<void> {
    if (this.cur !== null && this.cur.hour_ms !== step.hour_ms) await this.finish();
    if (this.cur === null) {
      this.cur = {
        hour_ms: step.hour_ms,
        entry: { hour: hourLabel(step.hour_ms), seq_from: step.seq_from, seq_to: step.seq_to, steps: 0, events: 0, state_hash: '', chain_head: '' },
        inputs: createHash('sha256'),
        events: createHash('sha256'),
      };
    }
    const c = this.cur;
    if (step.command === null) throw new Error('HourAggregator needs every step re-executed or rebuilt (command present)');
    c.inputs.update(canonicalBytes(commandValue(step.command))).update(NEWLINE);
    for (const e of step.events) c.events.update(e.hash);
    c.entry.seq_to = step.seq_to;
    c.entry.steps++;
    c.entry.events += step.events.length;
    c.entry.state_hash = this.kernel.stateHash(step.state);
    c.entry.chain_head = toHex(step.events[step.events.length - 1]!.hash);
  }

  async finish(): Promise<void> {
    const c = this.cur;
    if (c === null) return;
    this.cur = null;
    await this.onHour({ ...c.entry, inputs_hash: c.inputs.digest('hex'), events_hash: c.events.digest('hex') }, c.hour_ms);
  }
}

export interface ManifestResult {
  stream: string;
  hours: number;
  events: number;
  head_seq: number;
  chain_head: string;
  state_hash: string;
  root: string;
}

/**
 * The manifest of one book stream: every step's input rebuilt, every link checked, one entry per
 * hour (onHour), and the Merkle root. Nothing is re-decided: a manifest describes what is stored,
 * so two stores made by different kernels still compare hour by hour. One streaming pass.
 */
export async function buildManifest(
  store: EventStore, stream: string, kernel: BookKernel, kernelName: string, inputs: ReplayInputs,
  opts: { onHour?: (h: HourEntry) => void | Promise<void>; onProgress?: (events: number) => void; /** the head read before the pass */ toSeq?: number } = {},
): Promise<ManifestResult> {
  const tree = new MerkleTree();
  const agg = new HourAggregator(kernel, async (h) => {
    tree.add(canonicalBytes(h as unknown as CanonicalValue));
    await opts.onHour?.(h);
  });
  const r = await reexecute(store, stream, kernel, kernelName, inputs, { decide: false, onStep: (s) => agg.add(s), onProgress: opts.onProgress, toSeq: opts.toSeq });
  await agg.finish();
  return { stream, hours: tree.leaves, events: r.events, head_seq: r.head_seq, chain_head: r.chain_head, state_hash: r.state_hash, root: tree.root() };
}

/** The first hour where two manifests differ, and which of its hashes differ; null when equal. */
export function compareManifests(a: readonly HourEntry[], b: readonly HourEntry[]): { index: number; hour: string | null; fields: string[]; left: HourEntry | null; right: HourEntry | null } | null {
  const n = Math.max(a.length, b.length);
  const keys = ['hour', 'seq_from', 'seq_to', 'steps', 'events', 'inputs_hash', 'events_hash', 'state_hash', 'chain_head'] as const;
  for (let i = 0; i < n; i++) {
    const l = a[i] ?? null;
    const r = b[i] ?? null;
    if (l === null || r === null) return { index: i, hour: (l ?? r)!.hour, fields: ['(hour missing)'], left: l, right: r };
    const fields = keys.filter((k) => l[k] !== r[k]);
    if (fields.length > 0) return { index: i, hour: l.hour, fields, left: l, right: r };
  }
  return null;
}

export interface WindowStep {
  seq_from: number;
  seq_to: number;
  hour: string | null;
  command: RuntimeCommand;
  events: readonly StoredEvent[];
  state_hash: string;
}

export interface WindowResult extends Omit<ReexecuteResult, 'stopped'> {
  from: string;
  to: string;
  /** Where folding started: the snapshot seq, or 0 for genesis. */
  started_at_seq: number;
  /** The state hash before the window's first step. */
  state_hash_before: string | null;
  hours: HourEntry[];
  /** Every step of the window with its input and events (only when asked: `replay hour`). */
  window_steps: WindowStep[];
}

/**
 * Where to start folding for a window beginning at from_ms: the newest snapshot whose last tick's
 * hour is before the window (market kernels), else genesis. Market time only grows with seq, so
 * a binary search over the snapshot list decodes O(log n) snapshots, not all the later ones.
 */
export async function startBefore(store: EventStore, stream: string, kernel: BookKernel, from_ms: number): Promise<{ seq: number; hash: Uint8Array; state: BookState } | undefined> {
  const market = kernel.market;
  if (market === undefined) return undefined;
  const seqs = (await store.snapshots(stream)).map((x) => x.seq);
  const load = async (seq: number) => {
    const snap = await store.latestSnapshot(stream, seq + 1);
    if (snap === null || snap.seq !== seq) return null;
    try {
      return { seq, hash: snap.head_hash, state: kernel.codec.decode(snap.state) };
    } catch {
      return null; // another state version: not a starting point
    }
  };
  const before = (state: BookState) => {
    const last = market.lastTickMs(state);
    if (last === null) return true; // before the first tick: before any window
    return hourStart(last) < from_ms;
  };
  // Invariant: every snapshot at index < lo is before the window, at index >= hi is not (or unreadable).
  let lo = 0;
  let hi = seqs.length;
  let best: { seq: number; hash: Uint8Array; state: BookState } | undefined;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = await load(seqs[mid]!);
    if (s !== null && before(s.state)) {
      best = s;
      lo = mid + 1;
    } else hi = mid;
  }
  return best;
}

/**
 * Re-executes the steps of the hours in [from_ms, to_ms): folds (chain checked) up to the window,
 * re-executes every step inside it, stops after it. `collect` keeps each step (replay hour).
 */
export async function replayWindow(
  store: EventStore, stream: string, kernel: BookKernel, kernelName: string, inputs: ReplayInputs,
  from_ms: number, to_ms: number, opts: { collect?: boolean; fromGenesis?: boolean; onProgress?: (events: number) => void; /** the head read before the pass */ toSeq?: number } = {},
): Promise<WindowResult> {
  const inWindow = (h: number | null) => h !== null && h >= from_ms && h < to_ms;
  const start = opts.fromGenesis ? undefined : await startBefore(store, stream, kernel, from_ms);
  const hours: HourEntry[] = [];
  const steps: WindowStep[] = [];
  let before: string | null = start ? kernel.stateHash(start.state) : kernel.stateHash(kernel.decider.initialState());
  let seen = false;
  const agg = new HourAggregator(kernel, (h) => void hours.push(h));
  const r = await reexecute(store, stream, kernel, kernelName, inputs, {
    from: start,
    toSeq: opts.toSeq,
    check: inWindow,
    onProgress: opts.onProgress,
    onStep: async (s) => {
      if (!inWindow(s.hour_ms)) {
        // Market time only grows; a book without a market keeps wall-clock hours, which can step back
        // (a command received before a restart is stored after it): read it to the end.
        if (kernel.market !== undefined && s.hour_ms !== null && s.hour_ms >= to_ms) return 'stop';
        if (!seen) before = kernel.stateHash(s.state);
        return;
      }
      seen = true;
      await agg.add(s);
      if (opts.collect) steps.push({ seq_from: s.seq_from, seq_to: s.seq_to, hour: hourLabel(s.hour_ms), command: s.command!, events: s.events, state_hash: kernel.stateHash(s.state) });
    },
  });
  await agg.finish();
  const last = hours[hours.length - 1];
  return {
    stream, from: new Date(from_ms).toISOString(), to: new Date(to_ms).toISOString(), started_at_seq: start?.seq ?? 0,
    state_hash_before: seen ? before : null, hours, window_steps: steps,
    steps: hours.reduce((n, h) => n + h.steps, 0), steps_checked: r.steps_checked, events: hours.reduce((n, h) => n + h.events, 0),
    head_seq: last?.seq_to ?? r.head_seq, chain_head: last?.chain_head ?? r.chain_head, state_hash: last?.state_hash ?? r.state_hash,
  };
}

