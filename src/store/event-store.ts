/**
 * The event store: one hash-chained, append-only stream per book, on either engine.
 *
 * Writes go through a writer lease with an epoch (fencing token): acquiring a lease bumps the
 * epoch, and append checks the caller's epoch against the stream row it locks in the same
 * transaction, so a writer that lost its lease can never append, however late it wakes up.
 * Optimistic concurrency on top: the caller states the head seq it built its events on.
 * Hashes are computed by the kernel (src/core/events) over the canonical bytes; the database
 * stores those exact bytes and never re-renders them.
 */
import { hostname } from 'node:os';
import { chainBatch, chainHash, checkStreamName, EVENT_DOMAIN_TAG, hashedRowMatches, HASHED_PREFIX_BYTES, decodeEventBody, envelopeColumnsCheck, EVENT_TYPE_RE, GENESIS_PREV_HASH, type ChainedBatch, type NewEvent, type StoredEvent } from '../core/events/index.js';
import { bytesEqual, HASH_BYTES, sha256, toHex, type Hash } from '../core/canonical/hash.js';
import { canonicalBytes, canonicalJson, type CanonicalValue } from '../core/canonical/index.js';
import { toBytes, toInt, type Db, type Queryable } from './db.js';
import { ConcurrencyError, IntegrityError, LeaseError } from './errors.js';
import { isAlive } from './lockfile.js';

/** Limits (TigerBeetle style: a bound on everything). */
export const APPEND_EVENTS_MAX = 10_000;
/**
 * Bytes of one append's chained batch at most: it goes as one bytea, which PGlite's driver sends as
 * hex text (two characters a byte: 128 MiB is 256 Mi characters, under V8's longest string, ~512 Mi;
 * PostgreSQL's own limit for a value is 1 GB).
 */
export const APPEND_BYTES_MAX = 128 << 20;
export const READ_BATCH_SIZE_MAX = 10_000;
export const LEASE_TTL_MS_MAX = 24 * 3600_000;
export const SNAPSHOTS_LISTED_MAX = 100_000;
/** Stream heads remembered for appends (one per stream written through this store). */
export const HEADS_REMEMBERED_MAX = 1024;
export const SNAPSHOT_DOMAIN_TAG = new TextEncoder().encode('warden.snapshot.v1\u0000');
export const INBOX_DOMAIN_TAG = new TextEncoder().encode('warden.inbox.v1\u0000');
/** The LISTEN/NOTIFY channel inboxAppend notifies (payload: the stream), in the same statement as the insert. */
export const INBOX_NOTIFY_CHANNEL = 'warden_inbox';
/** Event types one readTypes call may filter on. */
export const READ_TYPES_MAX = 64;

export interface Lease {
  readonly stream: string;
  readonly owner: string;
  readonly epoch: number;
}

export interface StreamInfo {
  stream: string;
  head_seq: number;
  head_hash: string;
  lease_owner: string | null;
  lease_epoch: number;
  lease_expires_at: string | null;
  lease_live: boolean;
}

export interface Snapshot {
  stream: string;
  seq: number;
  state: CanonicalValue;
  state_bytes: Uint8Array;
  state_hash: Hash;
  head_hash: Hash;
  kind: string;
}

export interface InboxCommand {
  id: number;
  stream: string;
  command: string;
  payload: CanonicalValue;
  body_hash: Hash;
  issued_by: string;
  received_at: string;
}

export interface VerifyResult {
  stream: string;
  events: number;
  head_seq: number;
  head_hash: Hash;
}

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
/** A bytea column as selected by byteaColumn(): the bytes, or their hex text. */
export const bytesOf = (v: unknown): Uint8Array => {
  if (v instanceof Uint8Array) return v;
  if (typeof v !== 'string') throw new Error(`expected bytea or its hex text, got ${typeof v}`);
  return Buffer.from(v, 'hex');
};

/**
 * One append, one statement: the stream head moves only if the lease and the head are as the
 * writer saw them (compare-and-swap), and the events are inserted only if it moved. `upd` runs
 * to completion before the insert reads it (a data-modifying CTE that is referenced); `ins` runs
 * to completion although nothing reads it (PostgreSQL runs every data-modifying CTE), and it
 * inserts every unnest row or the statement fails. Returns swapped = 1 (all written) or 0
 * (nothing written). No RETURNING from the insert: materializing 1,000 returned rows to count
 * them measured ~2 ms of PGlite's ~6 ms execution of a 1,000-row append.
 *
 * The batch's bytes go as ONE bytea ($10: the chain's own layout, tag || prev_hash || body per
 * event, the last hash after the last body) with each event's body offset, size and hash offset;
 * the database cuts body, prev_hash and hash out of it. Three bytea arrays instead (a value per
 * event and field) are sent as hex text that pg builds and the server parses: measured on
 * PostgreSQL 15, the same 100k real events inserted ~1.6x faster this way; on PGlite the same.
 */
const APPEND_EVENTS_SQL = `WITH upd AS (
    UPDATE streams SET head_seq = $5, head_hash = $6
     WHERE stream = $1 AND lease_epoch = $2 AND lease_owner IS NOT NULL AND head_seq = $3 AND head_hash = $4
    RETURNING 1),
  ins AS (
    INSERT INTO events (stream, seq, type, time_ms, body, prev_hash, hash, writer_epoch)
    SELECT $1, u.seq, u.type, u.time_ms,
           substring($10::bytea FROM u.body_at + 1 FOR u.body_size), substring($10::bytea FROM u.body_at - ${HASH_BYTES - 1} FOR ${HASH_BYTES}),
           substring($10::bytea FROM u.hash_at + 1 FOR ${HASH_BYTES}), $2
      FROM unnest($7::bigint[], $8::text[], $9::bigint[], $11::int[], $12::int[], $13::int[])
           AS u(seq, type, time_ms, body_at, body_size, hash_at)
     WHERE EXISTS (SELECT 1 FROM upd))`;
const APPEND_SWAPPED_SQL = `
  SELECT count(*)::int AS swapped FROM upd`;
/** An append without artifacts (most of them: bars, marks, fills): no artifacts insert to plan and run. */
const APPEND_SQL = APPEND_EVENTS_SQL + APPEND_SWAPPED_SQL;
/** An append with the artifacts its events name, inserted in the same statement (same condition). */
const APPEND_WITH_ARTIFACTS_SQL = `${APPEND_EVENTS_SQL},
  art AS (
    INSERT INTO artifacts (hash, kind, stream, seq, body)
    SELECT a.hash, a.kind, $1, a.seq, a.body FROM unnest($14::text[], $15::text[], $16::bigint[], $17::text[]) AS a(hash, kind, seq, body)
     WHERE EXISTS (SELECT 1 FROM upd)
    ON CONFLICT (hash) DO NOTHING)${APPEND_SWAPPED_SQL}`;

/** Whether `b` holds the 32 bytes of `hash` at `at` (verify's link check, in the row as read). */
function linksTo(b: Uint8Array, at: number, hash: Uint8Array): boolean {
  if (hash.length !== HASH_BYTES || at + HASH_BYTES > b.length) return false;
  for (let i = 0; i < HASH_BYTES; i++) if (b[at + i] !== hash[i]) return false;
  return true;
}

function checkTtl(ttl_ms: number): void {
  if (!Number.isInteger(ttl_ms) || ttl_ms < 1000 || ttl_ms > LEASE_TTL_MS_MAX) {
    throw new RangeError(`lease ttl_ms must be an integer in 1000..${LEASE_TTL_MS_MAX}, got ${ttl_ms}`);
  }
}

export function snapshotStateHash(stateBytes: Uint8Array): Hash {
  return sha256(SNAPSHOT_DOMAIN_TAG, stateBytes);
}

/**
 * How a bytea column is selected on a read, measured per engine (100k rows, batches of 1,000): PGlite's
 * own bytea decoding is ~3x slower than encode(..., 'hex') + Buffer's hex; on PostgreSQL, pg's
 * native bytea parsing is ~2x faster than the hex text (50k vs 22k rows/s here). bytesOf() reads
 * either. Exported for the benchmark's raw floor, which reads the same way.
 */
export function byteaColumn(engine: Db['engine'], c: string): string {
  return engine === 'pglite' ? `encode(${c}, 'hex') AS ${c}` : c;
}

/**
 * What verify reads of each event: ONE bytea, EVENT_DOMAIN_TAG || prev_hash || body || hash, made
 * by the database (the tag is a literal of this query): the first n - 32 bytes are what the hash
 * covers, so the digest is taken over the row as read, with no copy into a scratch buffer, and the
 * driver decodes one value per row instead of three. Measured on PostgreSQL 15 (bench:store).
 */
export function hashedColumn(engine: Db['engine']): string {
  const expr = `'\\x${toHex(EVENT_DOMAIN_TAG)}'::bytea || prev_hash || body || hash`;
  return engine === 'pglite' ? `encode(${expr}, 'hex') AS hashed` : `${expr} AS hashed`;
}

/** A content-addressed artifact named by the event at `index` of an append. */
export interface NewArtifact {
  readonly kind: string;
  readonly hash: string;
  readonly body: CanonicalValue;
  readonly index: number;
}

/** Checks an artifact before it is written; returns its body's canonical JSON (hashed and stored: encoded once). */
function checkArtifact(a: NewArtifact, events: number): string {
  if (!Number.isSafeInteger(a.index) || a.index < 0 || a.index >= events) throw new RangeError(`artifact ${a.hash}: event index ${a.index} is not in 0..${events - 1}`);
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(a.kind)) throw new RangeError(`artifact kind ${JSON.stringify(a.kind)}: expected lower-case letters, digits, _`);
  const text = canonicalJson(a.body);
  const h = toHex(sha256(new TextEncoder().encode(text)));
  if (h !== a.hash) throw new IntegrityError(`artifact ${a.kind}: its key ${a.hash} is not the sha256 of its body (${h}); nothing was written`, '(append)', 0);
  return text;
}

export class EventStore {
  private readonly readSql: string;
  /** The head each stream had after this store's last append to it (or its acquireLease), by epoch. */
  private readonly heads = new Map<string, { epoch: number; seq: number; hash: Hash }>();

  private readonly readTypesSql: string;
  /** verify's read: each event's bytes as one value, laid out as they are hashed (hashedColumn). */
  private readonly verifySql: string;

  /** `append_bytes_max`: APPEND_BYTES_MAX unless lower (tests). */
  private readonly appendBytesMax: number;

  constructor(readonly db: Db, opts: { append_bytes_max?: number } = {}) {
    this.appendBytesMax = Math.min(opts.append_bytes_max ?? APPEND_BYTES_MAX, APPEND_BYTES_MAX);
    const col = (c: string) => byteaColumn(db.engine, c);
    this.readSql = `SELECT seq, type, time_ms, ${col('body')}, ${col('prev_hash')}, ${col('hash')} FROM events
      WHERE stream = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4`;
    this.readTypesSql = `SELECT seq, type, time_ms, ${col('body')}, ${col('prev_hash')}, ${col('hash')} FROM events
      WHERE stream = $1 AND seq > $2 AND type = ANY($3::text[]) ORDER BY seq LIMIT $4`;
    this.verifySql = `SELECT seq, type, time_ms, ${hashedColumn(db.engine)} FROM events
      WHERE stream = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4`;
  }

  private async ensureStream(q: Queryable, stream: string): Promise<void> {
    checkStreamName(stream);
    await q.query('INSERT INTO streams (stream) VALUES ($1) ON CONFLICT (stream) DO NOTHING', [stream]);
  }

  /**
   * On PGlite only: whether a lease `owner` ("<hostname>:<pid>", as the runtime names itself)
   * is a process of this host that no longer exists. Such a lease is taken over at once instead
   * of waiting out its ttl (a kill -9 otherwise blocks the restart for a whole ttl). Safe on
   * PGlite because the store is one process at a time: a directory behind its lock file (which
   * already takes over a dead pid's lock the same way), `memory:` inside this process. So while
   * this process holds the store nobody else can write, and a dead pid never comes back; the
   * epoch bump fences it anyway. A reused pid looks alive and the ttl is waited out, as before.
   * Not on PostgreSQL: many processes share one server, and a pid of another host or container
   * (same hostname, another pid namespace) cannot be judged from here.
   */
  private deadLocalOwner(owner: string): boolean {
    if (this.db.engine !== 'pglite') return false;
    const m = /^(.*):([1-9][0-9]{0,9})$/.exec(owner);
    return m !== null && m[1] === hostname() && Number(m[2]) !== process.pid && !isAlive(Number(m[2]));
  }

  /**
   * Takes the writer lease of `stream` for `owner` (e.g. "host:pid"), bumping the epoch.
   * Fails with LeaseError naming the holder if another owner holds a live lease (on PGlite, a
   * live lease of a dead process of this host is taken over: see deadLocalOwner).
   */
  async acquireLease(stream: string, owner: string, ttl_ms: number): Promise<Lease> {
    checkTtl(ttl_ms);
    return this.db.transaction(async (tx) => {
      await this.ensureStream(tx, stream);
      const [row] = await tx.query<{ lease_owner: string | null; lease_epoch: unknown; live: boolean }>(
        `SELECT lease_owner, lease_epoch, (lease_expires_at IS NOT NULL AND lease_expires_at > now()) AS live
           FROM streams WHERE stream = $1 FOR UPDATE`,
        [stream],
      );
      if (!row) throw new Error(`stream ${stream} vanished`);
      if (row.lease_owner !== null && row.live && row.lease_owner !== owner && !this.deadLocalOwner(row.lease_owner)) {
        throw new LeaseError(
          `stream ${stream} is leased to ${row.lease_owner} (epoch ${toInt(row.lease_epoch, 'lease_epoch')}); ` +
            'only one writer may run a book: stop the other runtime or wait for its lease to expire',
          stream, row.lease_owner, toInt(row.lease_epoch, 'lease_epoch'),
        );
      }
      const [next] = await tx.query<{ lease_epoch: unknown; head_seq: unknown; head_hash: unknown }>(
        `UPDATE streams SET lease_owner = $2, lease_epoch = lease_epoch + 1,
                lease_expires_at = now() + ($3::bigint * interval '1 millisecond')
          WHERE stream = $1 RETURNING lease_epoch, head_seq, head_hash`,
        [stream, owner, ttl_ms],
      );
      const epoch = toInt(next?.lease_epoch, 'lease_epoch');
      this.rememberHead(stream, epoch, toInt(next?.head_seq, 'head_seq'), toBytes(next?.head_hash));
      return { stream, owner, epoch };
    });
  }

  /** Extends a lease; LeaseError if it was lost (another writer took the stream). */
  async renewLease(lease: Lease, ttl_ms: number): Promise<void> {
    checkTtl(ttl_ms);
    const rows = await this.db.query(
      `UPDATE streams SET lease_expires_at = now() + ($3::bigint * interval '1 millisecond')
        WHERE stream = $1 AND lease_epoch = $2 AND lease_owner IS NOT NULL RETURNING stream`,
      [lease.stream, lease.epoch, ttl_ms],
    );
    if (rows.length === 0) await this.throwLeaseLost(this.db, lease);
  }

  /** Gives the lease up (clean shutdown). A no-op if it was already lost. */
  async releaseLease(lease: Lease): Promise<void> {
    await this.db.query(
      'UPDATE streams SET lease_owner = NULL, lease_expires_at = NULL WHERE stream = $1 AND lease_epoch = $2',
      [lease.stream, lease.epoch],
    );
  }

  private async throwLeaseLost(q: Queryable, lease: Lease): Promise<never> {
    const [row] = await q.query<{ lease_owner: string | null; lease_epoch: unknown }>(
      'SELECT lease_owner, lease_epoch FROM streams WHERE stream = $1', [lease.stream],
    );
    const current = row ? toInt(row.lease_epoch, 'lease_epoch') : 0;
    throw new LeaseError(
      `stale lease on ${lease.stream}: this writer has epoch ${lease.epoch}, the stream is at epoch ${current}` +
        (row?.lease_owner ? ` held by ${row.lease_owner}` : ' (not held)') + '; nothing was written',
      lease.stream, row?.lease_owner ?? null, current,
    );
  }

  /**
   * Appends events after `expectedSeq` under `lease`, in one statement: all or nothing.
   * Returns the stored events with their seqs and hashes.
   *
   * The events are chained from the head (seq, hash) this store last saw for the stream (its own
   * previous append, or acquireLease), or else from the head it reads first; then ONE statement
   * moves the stream head with a compare-and-swap (lease epoch and owner still ours, head still
   * at expectedSeq with that hash) and inserts the events only if the swap happened. The swap
   * waits on the stream row's lock like any writer and re-checks the row as it is then, so
   * fencing and optimistic concurrency hold exactly as with a lock taken first (a lease taken
   * over, a head moved: nothing written), in one round trip and one statement instead of five.
   * If the swap does not happen, the head is read again: a lost lease throws LeaseError, another
   * head seq ConcurrencyError; a stale remembered head is retried once from the head read.
   */
  /**
   * Appends events (one statement: all or nothing) with the content-addressed artifacts they name,
   * each checked before writing: its key must be the sha256 hex of its body (canonical JSON), and
   * `index` the position of the naming event in `events`.
   */
  async append(lease: Lease, expectedSeq: number, events: readonly NewEvent[], artifacts: readonly NewArtifact[] = []): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const bodies = artifacts.map((a) => checkArtifact(a, events.length));
    if (events.length > APPEND_EVENTS_MAX) throw new RangeError(`append: ${events.length} events in one call (max ${APPEND_EVENTS_MAX})`);
    const known = this.heads.get(lease.stream);
    let head: { seq: number; hash: Hash } | undefined = known && known.epoch === lease.epoch && known.seq === expectedSeq ? known : undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      head ??= await this.checkedHead(lease, expectedSeq);
      let batch: ChainedBatch;
      try {
        batch = chainBatch(lease.stream, head.seq, head.hash, events, this.appendBytesMax);
      } catch (e) {
        if (attempt > 0 || head !== known) throw e; // the head was just read and checked
        // An invalid event on the remembered head: read it first, so a lost lease or a moved
        // head is reported before the envelope error, as a locked read would have.
        head = await this.checkedHead(lease, expectedSeq);
        continue;
      }
      const chained = batch.events;
      const last = chained[chained.length - 1]!;
      const params: unknown[] = [
        lease.stream,
        lease.epoch,
        head.seq,
        head.hash,
        last.seq,
        last.hash,
        chained.map((e) => e.seq),
        chained.map((e) => e.type),
        chained.map((e) => e.time_ms),
        batch.bytes,
        batch.bodyAt,
        batch.bodySize,
        batch.hashAt,
      ];
      const from = head.seq + 1;
      if (artifacts.length > 0) params.push(artifacts.map((a) => a.hash), artifacts.map((a) => a.kind), artifacts.map((a) => from + a.index), bodies);
      const [r] = await this.db.query<{ swapped: unknown }>(artifacts.length > 0 ? APPEND_WITH_ARTIFACTS_SQL : APPEND_SQL, params);
      if (toInt(r?.swapped, 'swapped') === 1) {
        this.rememberHead(lease.stream, lease.epoch, last.seq, last.hash);
        return chained;
      }
      this.heads.delete(lease.stream);
      head = undefined;
    }
    // Twice the head was read as expected and the swap still missed: a moved head would have a
    // higher seq (ConcurrencyError above), so the head hash changed under the same seq.
    await this.checkedHead(lease, expectedSeq);
    throw new IntegrityError(
      `append to ${lease.stream}: the stream head hash changed under head seq ${expectedSeq} (streams row altered?); nothing was written`,
      lease.stream, expectedSeq,
    );
  }

  /**
   * The stream head, after checking the lease is still this writer's and the head is where the
   * caller expects it: LeaseError or ConcurrencyError otherwise.
   */
  private async checkedHead(lease: Lease, expectedSeq: number): Promise<{ seq: number; hash: Hash }> {
    const [row] = await this.db.query<{ head_seq: unknown; head_hash: unknown; lease_epoch: unknown; lease_owner: string | null }>(
      'SELECT head_seq, head_hash, lease_epoch, lease_owner FROM streams WHERE stream = $1',
      [lease.stream],
    );
    if (!row || toInt(row.lease_epoch, 'lease_epoch') !== lease.epoch || row.lease_owner === null) {
      this.heads.delete(lease.stream);
      await this.throwLeaseLost(this.db, lease);
    }
    const headSeq = toInt(row!.head_seq, 'head_seq');
    if (headSeq !== expectedSeq) throw new ConcurrencyError(lease.stream, expectedSeq, headSeq);
    return { seq: headSeq, hash: toBytes(row!.head_hash) };
  }

  private rememberHead(stream: string, epoch: number, seq: number, hash: Hash): void {
    if (!this.heads.has(stream) && this.heads.size >= HEADS_REMEMBERED_MAX) this.heads.clear();
    this.heads.set(stream, { epoch, seq, hash });
  }

  /** A stored artifact by its content address, or null. */
  async artifact(hash: string): Promise<{ kind: string; stream: string; seq: number; body: CanonicalValue } | null> {
    const [row] = await this.db.query<{ kind: string; stream: string; seq: unknown; body: string }>('SELECT kind, stream, seq, body FROM artifacts WHERE hash = $1', [hash]);
    if (!row) return null;
    const body = JSON.parse(row.body) as CanonicalValue;
    if (toHex(sha256(canonicalBytes(body))) !== hash) throw new IntegrityError(`artifact ${hash}: its body no longer hashes to its key`, row.stream, toInt(row.seq, 'seq'));
    return { kind: row.kind, stream: row.stream, seq: toInt(row.seq, 'seq'), body };
  }

  async head(stream: string): Promise<{ seq: number; hash: Hash } | null> {
    const [row] = await this.db.query<{ head_seq: unknown; head_hash: unknown }>('SELECT head_seq, head_hash FROM streams WHERE stream = $1', [stream]);
    return row ? { seq: toInt(row.head_seq, 'head_seq'), hash: toBytes(row.head_hash) } : null;
  }

  async streams(): Promise<StreamInfo[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT stream, head_seq, head_hash, lease_owner, lease_epoch, lease_expires_at,
              (lease_owner IS NOT NULL AND lease_expires_at > now()) AS lease_live
         FROM streams ORDER BY stream`,
    );
    return rows.map((r) => ({
      stream: String(r.stream),
      head_seq: toInt(r.head_seq, 'head_seq'),
      head_hash: toHex(toBytes(r.head_hash)),
      lease_owner: (r.lease_owner as string | null) ?? null,
      lease_epoch: toInt(r.lease_epoch, 'lease_epoch'),
      lease_expires_at: r.lease_expires_at ? new Date(r.lease_expires_at as string).toISOString() : null,
      lease_live: Boolean(r.lease_live),
    }));
  }

  /**
   * Reads a stream from `fromSeq` in batches of `batchSize` (keyset pagination: memory stays
   * bounded by one batch however long the stream is).
   */
  async *read(stream: string, opts: { fromSeq?: number; toSeq?: number; batchSize?: number } = {}): AsyncGenerator<StoredEvent[]> {
    for await (const rows of this.readRows(stream, opts)) {
      yield rows.map((r): StoredEvent => {
        const body = bytesOf(r.body);
        const seq = toInt(r.seq, 'seq');
        return {
          stream, seq, type: String(r.type), time_ms: toInt(r.time_ms, 'time_ms'), payload: this.payloadOf(stream, seq, body),
          body, prev_hash: bytesOf(r.prev_hash), hash: bytesOf(r.hash),
        };
      });
    }
  }

  /**
   * One page of the events of `stream` whose type is one of `types`, with seq > `afterSeq`,
   * oldest first, at most `limit` (read models such as the directives' read only their types;
   * the next page starts after the last seq returned). A read, not a verification: the chain is
   * proved by verify() (`warden replay verify`); a body that is not canonical JSON is an
   * IntegrityError at its seq, as in read(). Walks the stream's primary key from `afterSeq`, so a
   * page costs the rows scanned up to its last match, and memory one page.
   */
  async readTypes(stream: string, types: readonly string[], afterSeq: number, limit: number): Promise<StoredEvent[]> {
    if (types.length === 0 || types.length > READ_TYPES_MAX) throw new RangeError(`readTypes: 1..${READ_TYPES_MAX} event types, got ${types.length}`);
    for (const t of types) if (!EVENT_TYPE_RE.test(t)) throw new RangeError(`readTypes: event type ${JSON.stringify(t)} must match ${EVENT_TYPE_RE}`);
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new RangeError(`readTypes: afterSeq must be an integer >= 0, got ${afterSeq}`);
    if (!Number.isInteger(limit) || limit < 1 || limit > READ_BATCH_SIZE_MAX) throw new RangeError(`readTypes: limit must be 1..${READ_BATCH_SIZE_MAX}, got ${limit}`);
    const rows = await this.db.query<Record<string, unknown>>(this.readTypesSql, [stream, afterSeq, [...types], limit]);
    return rows.map((r): StoredEvent => {
      const body = bytesOf(r.body);
      const seq = toInt(r.seq, 'seq');
      return {
        stream, seq, type: String(r.type), time_ms: toInt(r.time_ms, 'time_ms'), payload: this.payloadOf(stream, seq, body),
        body, prev_hash: bytesOf(r.prev_hash), hash: bytesOf(r.hash),
      };
    });
  }

  /** Every page of readTypes from `afterSeq` on (memory: one page of `pageSize`). */
  async *readTypesPaged(stream: string, types: readonly string[], opts: { afterSeq?: number; pageSize?: number } = {}): AsyncGenerator<StoredEvent[]> {
    let after = opts.afterSeq ?? 0;
    const size = opts.pageSize ?? 1000;
    for (;;) {
      const page = await this.readTypes(stream, types, after, size);
      if (page.length === 0) return;
      yield page;
      if (page.length < size) return;
      after = page[page.length - 1]!.seq;
    }
  }

  private payloadOf(stream: string, seq: number, body: Uint8Array): CanonicalValue {
    try {
      return decodeEventBody(body).payload;
    } catch (e) {
      throw new IntegrityError(`${stream} seq ${seq}: body is not valid canonical JSON (${(e as Error).message})`, stream, seq);
    }
  }

  /**
   * The rows of read(), as selected. The next batch is requested as soon as a batch arrives,
   * before it is decoded and checked: on PostgreSQL the server reads batch k+1 while this
   * process works on batch k. At most one query is in flight, and it is awaited before return.
   *
   * Each batch asks for a window of seqs no wider than the batch (a stream's seqs are dense: the
   * append gives head + 1), not for everything up to `to` with a LIMIT: right after a bulk append
   * PostgreSQL's statistics are stale, it plans a bitmap scan of the whole rest of the range plus
   * a sort for every batch, and a verify of 256k events took 8.7 s instead of ~1 s (quadratic in
   * the stream's length). A window that comes back short goes on from its last row (a gap is read
   * past, as before, for the checks to name it); an empty one ends the read.
   */
  private async *readRows(stream: string, opts: { fromSeq?: number; toSeq?: number; batchSize?: number }, sql = this.readSql): AsyncGenerator<Record<string, unknown>[]> {
    const batchSize = opts.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > READ_BATCH_SIZE_MAX) {
      throw new RangeError(`read: batchSize must be 1..${READ_BATCH_SIZE_MAX}, got ${batchSize}`);
    }
    const from = opts.fromSeq ?? 1;
    const to = opts.toSeq ?? Number.MAX_SAFE_INTEGER;
    if (from > to) return;
    let hi = from;
    const fetch = (next: number): Promise<Record<string, unknown>[]> => {
      hi = Math.min(to, next + batchSize - 1);
      const p = this.db.query<Record<string, unknown>>(sql, [stream, next, hi, batchSize]);
      p.catch(() => undefined); // a rejection is seen where it is awaited; none goes unhandled meanwhile
      return p;
    };
    let pending: Promise<Record<string, unknown>[]> | undefined = fetch(from);
    try {
      while (pending) {
        const asked = hi;
        const rows = await pending;
        pending = undefined;
        if (rows.length === 0) return;
        const next = toInt(rows[rows.length - 1]!.seq, 'seq') + 1;
        if (next <= to && (rows.length === batchSize || asked < to)) pending = fetch(next);
        yield rows;
      }
    } finally {
      // Stopped early (a failed check, a consumer's break): let the read in flight finish first.
      if (pending) await pending.catch(() => undefined);
    }
  }

  /**
   * Reads the whole stream and checks the chain: seqs contiguous from 1, each prev_hash equal to
   * the previous hash, each hash recomputed from the stored bytes, each body agreeing with its
   * columns, and the stream head matching the last event. Throws IntegrityError at the first
   * bad seq. `onProgress` gets the number of events checked so far.
   *
   * `range` checks a part: from `from.seq + 1` linking to `from.hash` (a verified snapshot's
   * head), and/or up to `toSeq` (the head check is then skipped: the log goes on). `onBatch` is
   * awaited after each checked batch, so a slow consumer (re-execution) bounds memory to a batch.
   *
   * Columns are checked against the body's envelope bytes (envelopeColumnsCheck), after its hash:
   * bodies are parsed only to hand events to `onEvent` / `onBatch` (an unparseable body is then an
   * IntegrityError at its seq, as in read()). Without a consumer nothing is parsed.
   */
  async verify(
    stream: string,
    onProgress?: (checked: number) => void,
    batchSize = 2000,
    /** Called with each event once its link and hash are checked, in order (replay folds here). */
    onEvent?: (e: StoredEvent) => void,
    range: { from?: { seq: number; hash: Hash }; toSeq?: number; onBatch?: (events: StoredEvent[]) => Promise<void> | void } = {},
  ): Promise<VerifyResult> {
    let expectSeq = (range.from?.seq ?? 0) + 1;
    let prev: Hash = range.from?.hash ?? GENESIS_PREV_HASH;
    const carries = envelopeColumnsCheck(stream);
    // Events are built (and bodies parsed) only for a consumer; the checks need neither.
    const consumed = onEvent !== undefined || range.onBatch !== undefined;
    const fail = (seq: number, why: string): never => {
      throw new IntegrityError(`${stream} seq ${seq}: ${why}`, stream, seq);
    };
    for await (const rows of this.readRows(stream, { batchSize, fromSeq: expectSeq, toSeq: range.toSeq }, this.verifySql)) {
      const batch: StoredEvent[] = consumed ? new Array<StoredEvent>(rows.length) : [];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        const seq = toInt(r.seq, 'seq');
        if (seq !== expectSeq) {
          // Name the first seq that is not where it should be: the missing one for a gap.
          const at = Math.min(seq, expectSeq);
          throw new IntegrityError(`${stream} seq ${at}: expected seq ${expectSeq} next, found seq ${seq} (event missing or out of order)`, stream, at);
        }
        // tag || prev_hash || body || hash (hashedColumn; prev_hash and hash are 32 bytes by the
        // table's CHECKs), checked in place: views are made only for a consumer and the next link
        const row = bytesOf(r.hashed);
        const end = row.length - HASH_BYTES;
        if (end < HASHED_PREFIX_BYTES) fail(seq, `the row read is not tag || prev_hash || body || hash (${row.length} bytes)`);
        if (!linksTo(row, HASHED_PREFIX_BYTES - HASH_BYTES, prev)) {
          fail(seq, `prev_hash ${toHex(row.subarray(HASHED_PREFIX_BYTES - HASH_BYTES, HASHED_PREFIX_BYTES))} does not link to the previous hash ${toHex(prev)}`);
        }
        // the bytes hashed hold the stored prev_hash, just checked equal to the previous hash (and the
        // query's tag: a wrong one could not give the stored hash)
        if (!hashedRowMatches(row, end)) fail(seq, `stored hash ${toHex(row.subarray(end))} != recomputed ${toHex(chainHash(prev, row.subarray(HASHED_PREFIX_BYTES, end)))} (body or hash altered)`);
        const type = typeof r.type === 'string' ? r.type : String(r.type);
        const time_ms = toInt(r.time_ms, 'time_ms');
        if (!carries(row, seq, type, time_ms, HASHED_PREFIX_BYTES, end)) fail(seq, 'columns disagree with the hashed body (seq, stream, type or time_ms altered)');
        const hash = row.subarray(end);
        if (consumed) {
          const body = row.subarray(HASHED_PREFIX_BYTES, end);
          const e: StoredEvent = { stream, seq, type, time_ms, payload: this.payloadOf(stream, seq, body), body, prev_hash: prev, hash };
          batch[i] = e;
          onEvent?.(e);
        }
        prev = hash;
        expectSeq++;
      }
      if (range.onBatch) await range.onBatch(batch);
      onProgress?.(expectSeq - 1);
    }
    const headSeq = expectSeq - 1;
    if (range.toSeq !== undefined && headSeq >= range.toSeq) return { stream, events: headSeq - (range.from?.seq ?? 0), head_seq: headSeq, head_hash: prev };
    const head = await this.head(stream);
    if (head && (head.seq !== headSeq || !bytesEqual(head.hash, prev))) {
      throw new IntegrityError(
        `${stream}: stream head says seq ${head.seq} hash ${toHex(head.hash)}, the log ends at seq ${headSeq} hash ${toHex(prev)} (events missing at the tail?)`,
        stream, Math.min(head.seq, headSeq) + 1,
      );
    }
    return { stream, events: headSeq - (range.from?.seq ?? 0), head_seq: headSeq, head_hash: prev };
  }

  /** Records a snapshot of `state` at `seq` (the holder of the lease only). */
  async saveSnapshot(lease: Lease, seq: number, state: CanonicalValue, kind: string): Promise<Snapshot> {
    const stateBytes = canonicalBytes(state);
    const stateHash = snapshotStateHash(stateBytes);
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ lease_epoch: unknown; head_seq: unknown }>('SELECT lease_epoch, head_seq FROM streams WHERE stream = $1 FOR UPDATE', [lease.stream]);
      if (!row || toInt(row.lease_epoch, 'lease_epoch') !== lease.epoch) await this.throwLeaseLost(tx, lease);
      if (seq < 0 || seq > toInt(row!.head_seq, 'head_seq')) throw new RangeError(`snapshot at seq ${seq} is beyond the head ${toInt(row!.head_seq, 'head_seq')}`);
      let headHash: Hash = GENESIS_PREV_HASH;
      if (seq > 0) {
        const [ev] = await tx.query<{ hash: unknown }>('SELECT hash FROM events WHERE stream = $1 AND seq = $2', [lease.stream, seq]);
        if (!ev) throw new IntegrityError(`${lease.stream} seq ${seq}: no such event to snapshot at`, lease.stream, seq);
        headHash = toBytes(ev.hash);
      }
      await tx.query(
        `INSERT INTO snapshots (stream, seq, state, state_hash, head_hash, kind) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (stream, seq) DO NOTHING`,
        [lease.stream, seq, buf(stateBytes), buf(stateHash), buf(headHash), kind],
      );
      return { stream: lease.stream, seq, state, state_bytes: stateBytes, state_hash: stateHash, head_hash: headHash, kind };
    });
  }

  /**
   * The newest snapshot of a stream (or the newest strictly before seq `beforeSeq`: restore
   * proves the latest snapshot from its predecessor), with its state hash re-checked on read.
   */
  async latestSnapshot(stream: string, beforeSeq = Number.MAX_SAFE_INTEGER): Promise<Snapshot | null> {
    const [r] = await this.db.query<Record<string, unknown>>(
      'SELECT seq, state, state_hash, head_hash, kind FROM snapshots WHERE stream = $1 AND seq < $2 ORDER BY seq DESC LIMIT 1', [stream, beforeSeq],
    );
    if (!r) return null;
    const seq = toInt(r.seq, 'seq');
    const stateBytes = toBytes(r.state);
    const stateHash = toBytes(r.state_hash);
    if (!bytesEqual(snapshotStateHash(stateBytes), stateHash)) {
      throw new IntegrityError(`${stream} snapshot at seq ${seq}: state bytes do not match their stored hash`, stream, seq);
    }
    const state = JSON.parse(new TextDecoder().decode(stateBytes)) as CanonicalValue;
    return { stream, seq, state, state_bytes: stateBytes, state_hash: stateHash, head_hash: toBytes(r.head_hash), kind: String(r.kind) };
  }

  /** Every snapshot of a stream, oldest first (at most SNAPSHOTS_LISTED_MAX), state hashes re-checked. */
  async snapshots(stream: string): Promise<Omit<Snapshot, 'state'>[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      'SELECT seq, state, state_hash, head_hash, kind FROM snapshots WHERE stream = $1 ORDER BY seq LIMIT $2', [stream, SNAPSHOTS_LISTED_MAX],
    );
    return rows.map((r) => {
      const seq = toInt(r.seq, 'seq');
      const stateBytes = toBytes(r.state);
      const stateHash = toBytes(r.state_hash);
      if (!bytesEqual(snapshotStateHash(stateBytes), stateHash)) {
        throw new IntegrityError(`${stream} snapshot at seq ${seq}: state bytes do not match their stored hash`, stream, seq);
      }
      return { stream, seq, state_bytes: stateBytes, state_hash: stateHash, head_hash: toBytes(r.head_hash), kind: String(r.kind) };
    });
  }

  /**
   * Records an operator command in the append-only inbox before anything acts on it, and
   * notifies INBOX_NOTIFY_CHANNEL with the stream in the same statement (so in the same
   * transaction: a listener is woken only by a committed row). The runtime LISTENs and still polls.
   */
  async inboxAppend(stream: string, command: string, payload: CanonicalValue, issuedBy: string): Promise<number> {
    checkStreamName(stream);
    const body = canonicalBytes({ command, payload, stream });
    const [row] = await this.db.query<{ id: unknown }>(
      `WITH ins AS (INSERT INTO inbox (stream, command, body, body_hash, issued_by) VALUES ($1, $2, $3, $4, $5) RETURNING id)
       SELECT id, pg_notify('${INBOX_NOTIFY_CHANNEL}', $1) AS notified FROM ins`,
      [stream, command, buf(body), buf(sha256(INBOX_DOMAIN_TAG, body)), issuedBy],
    );
    return toInt(row?.id, 'inbox id');
  }

  /** Inbox commands of a stream after `afterId`, oldest first, at most `limit`. */
  async inboxRead(stream: string, afterId = 0, limit = 100): Promise<InboxCommand[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      'SELECT id, command, body, body_hash, issued_by, received_at FROM inbox WHERE stream = $1 AND id > $2 ORDER BY id LIMIT $3',
      [stream, afterId, Math.min(limit, READ_BATCH_SIZE_MAX)],
    );
    return rows.map((r) => {
      const body = toBytes(r.body);
      const id = toInt(r.id, 'inbox id');
      if (!bytesEqual(sha256(INBOX_DOMAIN_TAG, body), toBytes(r.body_hash))) {
        throw new IntegrityError(`inbox id ${id}: body does not match its hash`, stream, id);
      }
      const parsed = JSON.parse(new TextDecoder().decode(body)) as { payload: CanonicalValue };
      return {
        id, stream, command: String(r.command), payload: parsed.payload, body_hash: toBytes(r.body_hash),
        issued_by: String(r.issued_by), received_at: new Date(r.received_at as string).toISOString(),
      };
    });
  }
}
