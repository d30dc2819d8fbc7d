/**
 * Test helper (not a test): the tamper suite's mutations of a stored book stream, each made as a
 * superuser inside a rolled-back transaction (triggers disabled), and the seq at which replay
 * verify must name it. Every column that is hashed or checked can be hit, at any byte: an event's
 * body (a flipped, inserted or dropped byte anywhere, or a payload digit changed with the event's
 * hash recomputed, as a forger would), its hash and prev_hash (any byte), seq, stream, type and
 * time_ms columns, whole events (deleted, swapped, the tail cut), the stream head, and snapshots
 * (state and state_hash bytes anywhere, head_hash, a snapshot moved or forged beyond the log, a
 * state rewritten with a consistent hash). Not mutated: writer_epoch, recorded_at, a snapshot's
 * kind and created_at (audit columns, not hashed by design), and the deletion of a snapshot (a
 * snapshot is an optimization: without it the fold from genesis is still the proof).
 */
import { chainHash } from '../../src/core/events/index.js';
import { snapshotStateHash } from '../../src/store/event-store.js';
import type { Queryable } from '../../src/store/db.js';

export interface TamperTarget {
  readonly stream: string;
  /** Events seq 1..n. */
  readonly n: number;
  /** Seqs of the stored snapshots, ascending (at least two, none at 0). */
  readonly snapshots: readonly number[];
  /** The event types present in the stream. */
  readonly types: readonly string[];
  /** Seqs of the events whose payload holds a non-zero digit (a forger's target). */
  readonly forgeable: readonly number[];
}

export interface Mutation {
  readonly name: string;
  /** The seq the IntegrityError must name. */
  readonly expectSeq: number;
  apply(tx: Queryable): Promise<void>;
}

type Rand = () => number;
const int = (rand: Rand, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1)); // inclusive
const nonZeroByte = (rand: Rand): number => int(rand, 1, 255);
const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');

async function bytes(tx: Queryable, sql: string, params: unknown[]): Promise<Buffer> {
  const [row] = await tx.query<{ h: string }>(sql, params);
  if (row === undefined) throw new Error(`tamper: no row for ${sql} ${JSON.stringify(params)}`);
  return Buffer.from(row.h, 'hex');
}
const bodyOf = (tx: Queryable, t: TamperTarget, seq: number) =>
  bytes(tx, `SELECT encode(body, 'hex') AS h FROM events WHERE stream = $1 AND seq = $2`, [t.stream, seq]);
const stateOf = (tx: Queryable, t: TamperTarget, seq: number) =>
  bytes(tx, `SELECT encode(state, 'hex') AS h FROM snapshots WHERE stream = $1 AND seq = $2`, [t.stream, seq]);

/**
 * Changes the first non-zero digit at or after `from` (wrapping round to `lo`) in text[lo, hi) to
 * another non-zero digit: still valid JSON, other content.
 */
function changeDigit(text: Buffer, from: number, rand: Rand, lo = 0, hi = text.length): Buffer {
  const out = Buffer.from(text);
  for (let k = 0; k < hi - lo; k++) {
    const i = lo + ((Math.max(lo, from) - lo + k) % (hi - lo));
    const c = out[i]!;
    if (c >= 0x31 && c <= 0x39) {
      const d = c - 0x30;
      out[i] = 0x30 + (((d - 1 + int(rand, 1, 8)) % 9) + 1); // 1..9, never d
      return out;
    }
  }
  throw new Error('tamper: no digit to change');
}

/** Sets a bytea column of one row to `value`. */
const setBytes = (tx: Queryable, table: 'events' | 'snapshots', col: string, t: TamperTarget, seq: number, value: Uint8Array) =>
  tx.query(`UPDATE ${table} SET ${col} = decode($3, 'hex') WHERE stream = $1 AND seq = $2`, [t.stream, seq, hex(value)]);

type Maker = (rand: Rand, t: TamperTarget) => Mutation;

/** Mutations of the events table and the stream head: verify names the seq. */
const EVENT_MUTATIONS: Record<string, Maker> = {
  'body byte flipped': (rand, t) => {
    const seq = int(rand, 1, t.n);
    const x = nonZeroByte(rand);
    const at = rand();
    return { name: `flip a body byte (at ${at.toFixed(3)} of its length, xor ${x}) of seq ${seq}`, expectSeq: seq, apply: async (tx) => {
      const body = await bodyOf(tx, t, seq);
      const off = Math.floor(at * body.length);
      await tx.query(`UPDATE events SET body = set_byte(body, $3, get_byte(body, $3) # $4) WHERE stream = $1 AND seq = $2`, [t.stream, seq, off, x]);
    } };
  },
  'body byte inserted or dropped': (rand, t) => {
    const seq = int(rand, 1, t.n);
    const at = rand();
    const insert = rand() < 0.5;
    const b = int(rand, 0, 255);
    return { name: `${insert ? `insert byte ${b}` : 'drop a byte'} at ${at.toFixed(3)} of the body of seq ${seq}`, expectSeq: seq, apply: async (tx) => {
      const body = await bodyOf(tx, t, seq);
      const off = Math.floor(at * body.length);
      const out = insert ? Buffer.concat([body.subarray(0, off), Buffer.from([b]), body.subarray(off)]) : Buffer.concat([body.subarray(0, off), body.subarray(off + 1)]);
      await setBytes(tx, 'events', 'body', t, seq, out);
    } };
  },
  'payload forged, hash recomputed': (rand, t) => {
    const seq = t.forgeable[int(rand, 0, t.forgeable.length - 1)]!;
    const at = rand();
    // The forged event hashes right; its successor's prev_hash (or the stream head) no longer links.
    return { name: `change a payload digit of seq ${seq} and recompute its hash`, expectSeq: seq + 1, apply: async (tx) => {
      const body = await bodyOf(tx, t, seq);
      // The payload is the envelope's first member: {"payload":...,"seq":N,...} (events/envelope.ts).
      const [lo, hi] = [Buffer.byteLength('{"payload":'), body.lastIndexOf(',"seq":')];
      const forged = changeDigit(body, lo + Math.floor(at * (hi - lo)), rand, lo, hi);
      const prev = await bytes(tx, `SELECT encode(prev_hash, 'hex') AS h FROM events WHERE stream = $1 AND seq = $2`, [t.stream, seq]);
      await setBytes(tx, 'events', 'body', t, seq, forged);
      await setBytes(tx, 'events', 'hash', t, seq, chainHash(prev, forged));
    } };
  },
  'hash byte flipped': (rand, t) => {
    const seq = int(rand, 1, t.n);
    const off = int(rand, 0, 31);
    const x = nonZeroByte(rand);
    return { name: `flip hash byte ${off} of seq ${seq}`, expectSeq: seq, apply: async (tx) => {
      await tx.query(`UPDATE events SET hash = set_byte(hash, $3, get_byte(hash, $3) # $4) WHERE stream = $1 AND seq = $2`, [t.stream, seq, off, x]);
    } };
  },
  'prev_hash byte flipped': (rand, t) => {
    const seq = int(rand, 1, t.n);
    const off = int(rand, 0, 31);
    const x = nonZeroByte(rand);
    return { name: `flip prev_hash byte ${off} of seq ${seq}`, expectSeq: seq, apply: async (tx) => {
      await tx.query(`UPDATE events SET prev_hash = set_byte(prev_hash, $3, get_byte(prev_hash, $3) # $4) WHERE stream = $1 AND seq = $2`, [t.stream, seq, off, x]);
    } };
  },
  'event deleted': (rand, t) => {
    const seq = int(rand, 1, t.n);
    return { name: `delete seq ${seq}`, expectSeq: seq, apply: async (tx) => {
      await tx.query('DELETE FROM events WHERE stream = $1 AND seq = $2', [t.stream, seq]);
    } };
  },
  'two events swapped': (rand, t) => {
    const a = int(rand, 1, t.n - 1);
    const b = int(rand, a + 1, t.n);
    return { name: `swap seq ${a} and ${b}`, expectSeq: a, apply: async (tx) => {
      // Through a free seq: the primary key forbids two rows at one seq, even briefly.
      await tx.query('UPDATE events SET seq = $3 WHERE stream = $1 AND seq = $2', [t.stream, a, 10_000_000]);
      await tx.query('UPDATE events SET seq = $3 WHERE stream = $1 AND seq = $2', [t.stream, b, a]);
      await tx.query('UPDATE events SET seq = $3 WHERE stream = $1 AND seq = $2', [t.stream, 10_000_000, b]);
    } };
  },
  'tail truncated': (rand, t) => {
    const seq = int(rand, 1, t.n);
    return { name: `truncate the tail from seq ${seq}`, expectSeq: seq, apply: async (tx) => {
      await tx.query('DELETE FROM events WHERE stream = $1 AND seq >= $2', [t.stream, seq]);
    } };
  },
  'seq column renumbered': (rand, t) => {
    const seq = int(rand, 1, t.n);
    const to = t.n + int(rand, 1, 1000);
    return { name: `renumber seq ${seq} to ${to}`, expectSeq: seq, apply: async (tx) => {
      await tx.query('UPDATE events SET seq = $3 WHERE stream = $1 AND seq = $2', [t.stream, seq, to]);
    } };
  },
  'stream column changed': (rand, t) => {
    const seq = int(rand, 1, t.n);
    return { name: `move seq ${seq} to another stream`, expectSeq: seq, apply: async (tx) => {
      await tx.query('UPDATE events SET stream = $3 WHERE stream = $1 AND seq = $2', [t.stream, seq, `${t.stream}x`]);
    } };
  },
  'type column changed': (rand, t) => {
    const seq = int(rand, 1, t.n);
    const pick = rand();
    return { name: `retype seq ${seq}`, expectSeq: seq, apply: async (tx) => {
      const [row] = await tx.query<{ type: string }>('SELECT type FROM events WHERE stream = $1 AND seq = $2', [t.stream, seq]);
      const others = t.types.filter((x) => x !== row!.type);
      await tx.query('UPDATE events SET type = $3 WHERE stream = $1 AND seq = $2', [t.stream, seq, others[Math.floor(pick * others.length)]]);
    } };
  },
  'time_ms column changed': (rand, t) => {
    const seq = int(rand, 1, t.n);
    const delta = int(rand, 1, 3_600_000) * (rand() < 0.5 ? -1 : 1);
    return { name: `shift time_ms of seq ${seq} by ${delta}`, expectSeq: seq, apply: async (tx) => {
      await tx.query('UPDATE events SET time_ms = time_ms + $3 WHERE stream = $1 AND seq = $2', [t.stream, seq, delta]);
    } };
  },
  'stream head changed': (rand, t) => {
    if (rand() < 0.5) {
      const off = int(rand, 0, 31);
      const x = nonZeroByte(rand);
      return { name: `flip head_hash byte ${off} of the stream`, expectSeq: t.n + 1, apply: async (tx) => {
        await tx.query(`UPDATE streams SET head_hash = set_byte(head_hash, $2, get_byte(head_hash, $2) # $3) WHERE stream = $1`, [t.stream, off, x]);
      } };
    }
    const head = int(rand, 0, t.n + 10);
    const to = head === t.n ? t.n + 1 : head;
    return { name: `set the stream's head_seq to ${to}`, expectSeq: Math.min(to, t.n) + 1, apply: async (tx) => {
      await tx.query('UPDATE streams SET head_seq = $2 WHERE stream = $1', [t.stream, to]);
    } };
  },
};

/** Mutations of the snapshots table: replay verify names the snapshot's seq (or the seq past the log). */
const SNAPSHOT_MUTATIONS: Record<string, Maker> = {
  'snapshot state byte flipped': (rand, t) => {
    const seq = t.snapshots[int(rand, 0, t.snapshots.length - 1)]!;
    const at = rand();
    const x = nonZeroByte(rand);
    return { name: `flip a state byte (at ${at.toFixed(3)} of its length) of the snapshot at ${seq}`, expectSeq: seq, apply: async (tx) => {
      const state = await stateOf(tx, t, seq);
      const off = Math.floor(at * state.length);
      await tx.query(`UPDATE snapshots SET state = set_byte(state, $3, get_byte(state, $3) # $4) WHERE stream = $1 AND seq = $2`, [t.stream, seq, off, x]);
    } };
  },
  'snapshot state_hash byte flipped': (rand, t) => {
    const seq = t.snapshots[int(rand, 0, t.snapshots.length - 1)]!;
    const off = int(rand, 0, 31);
    const x = nonZeroByte(rand);
    return { name: `flip state_hash byte ${off} of the snapshot at ${seq}`, expectSeq: seq, apply: async (tx) => {
      await tx.query(`UPDATE snapshots SET state_hash = set_byte(state_hash, $3, get_byte(state_hash, $3) # $4) WHERE stream = $1 AND seq = $2`, [t.stream, seq, off, x]);
    } };
  },
  'snapshot head_hash byte flipped': (rand, t) => {
    const seq = t.snapshots[int(rand, 0, t.snapshots.length - 1)]!;
    const off = int(rand, 0, 31);
    const x = nonZeroByte(rand);
    return { name: `flip head_hash byte ${off} of the snapshot at ${seq}`, expectSeq: seq, apply: async (tx) => {
      await tx.query(`UPDATE snapshots SET head_hash = set_byte(head_hash, $3, get_byte(head_hash, $3) # $4) WHERE stream = $1 AND seq = $2`, [t.stream, seq, off, x]);
    } };
  },
  'snapshot state forged, hash recomputed': (rand, t) => {
    const seq = t.snapshots[int(rand, 0, t.snapshots.length - 1)]!;
    const at = rand();
    return { name: `change a digit of the snapshot state at ${seq} and recompute its state_hash`, expectSeq: seq, apply: async (tx) => {
      const state = await stateOf(tx, t, seq);
      const forged = changeDigit(state, Math.floor(at * state.length), rand);
      await setBytes(tx, 'snapshots', 'state', t, seq, forged);
      await setBytes(tx, 'snapshots', 'state_hash', t, seq, snapshotStateHash(forged));
    } };
  },
  'snapshot states swapped': (rand, t) => {
    const i = int(rand, 0, t.snapshots.length - 2);
    const [a, b] = [t.snapshots[i]!, t.snapshots[int(rand, i + 1, t.snapshots.length - 1)]!];
    // Each keeps a state whose hash is consistent, but not the fold at its seq: the first is named.
    return { name: `swap the states (and state hashes) of the snapshots at ${a} and ${b}`, expectSeq: a, apply: async (tx) => {
      const [sa, sb] = [await stateOf(tx, t, a), await stateOf(tx, t, b)];
      await setBytes(tx, 'snapshots', 'state', t, a, sb);
      await setBytes(tx, 'snapshots', 'state_hash', t, a, snapshotStateHash(sb));
      await setBytes(tx, 'snapshots', 'state', t, b, sa);
      await setBytes(tx, 'snapshots', 'state_hash', t, b, snapshotStateHash(sa));
    } };
  },
  'snapshot moved or forged at another seq': (rand, t) => {
    const seq = t.snapshots[int(rand, 0, t.snapshots.length - 1)]!;
    const copy = rand() < 0.5;
    // Either way a snapshot at `to` carries another seq's chain head: named there, or past the log.
    let to = int(rand, 1, t.n + 50);
    while (t.snapshots.includes(to)) to++;
    return { name: `${copy ? 'copy' : 'move'} the snapshot at ${seq} to seq ${to}`, expectSeq: Math.min(to, t.n + 1), apply: async (tx) => {
      if (copy) {
        await tx.query(`INSERT INTO snapshots (stream, seq, state, state_hash, head_hash, kind) SELECT stream, $3, state, state_hash, head_hash, kind FROM snapshots WHERE stream = $1 AND seq = $2`, [t.stream, seq, to]);
      } else {
        await tx.query('UPDATE snapshots SET seq = $3 WHERE stream = $1 AND seq = $2', [t.stream, seq, to]);
      }
    } };
  },
};

export const MUTATION_KINDS: readonly string[] = [...Object.keys(EVENT_MUTATIONS), ...Object.keys(SNAPSHOT_MUTATIONS)];

/**
 * Mutation i of a run: the kinds in turn (every kind in every run), the place and bytes drawn from
 * `rand`. `check` says what must catch it: the chain check alone (EventStore.verify) for the
 * events and the head, replay verify (the fold compared with every snapshot) for snapshots.
 */
export function mutation(i: number, rand: Rand, t: TamperTarget): Mutation & { kind: string; check: 'chain' | 'replay' } {
  const kind = MUTATION_KINDS[i % MUTATION_KINDS.length]!;
  const ev = EVENT_MUTATIONS[kind];
  return ev !== undefined ? { kind, check: 'chain', ...ev(rand, t) } : { kind, check: 'replay', ...SNAPSHOT_MUTATIONS[kind]!(rand, t) };
}
