/**
 * Runs fuzz cases (cases.ts) against the real CLI, each in its own directory, and checks what a
 * user must be able to rely on whatever the input:
 *   - it ends within CASE_TIMEOUT_MS (no hang; the process is killed and the case fails),
 *   - with an exit code from the README's table, never 70 (a bug),
 *   - with no stack trace, and, unless it succeeded, a message; a refusal (64, 65, 69, 78) names
 *     one of the case's words (file:line, field, variable or option),
 *   - and, unless it succeeded, having written nothing: the case directory is as it was (no
 *     report, manifest or temporary file left), and the store's row counts are unchanged (a
 *     rejected ingest may add its rejection record, by design). PostgreSQL is counted around
 *     every case; an embedded PGlite store can only be opened by one process, so it is counted
 *     after every case that exited 0 (a success may write) and every PGLITE_CHECK_EVERY cases: a
 *     change names the window of cases, each reproducible from the seed.
 * Workers run in parallel, each with its own PGlite directory and PostgreSQL database, both
 * migrated and holding the first candles of the real file and a persisted backtest stream.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { adminPgUrl, requirePostgres, tempPgDatabase, uniqueName } from '../support/engines.js';
import { seedPgliteDir } from '../support/pglite-template.js';
import { FAMILIES, makeCase, referenceBook, seedCsvRows, type FuzzCase } from './cases.js';

export type Engine = 'pglite' | 'postgres';

/** Limits. */
export const CASE_TIMEOUT_MS = 60_000;
export const PGLITE_CHECK_EVERY = 20;

const CLI = resolve('dist/src/cli/index.js');

/** The exit codes of the README's table ("| 130 / 143 |" is two); 70 is a bug, never a pass. */
export function readmeExitCodes(): Set<number> {
  const readme = readFileSync('README.md', 'utf8');
  const table = readme.slice(readme.indexOf('### Exit codes'));
  const codes = new Set<number>();
  for (const line of table.split('\n').slice(1)) {
    if (!line.startsWith('|')) {
      if (codes.size > 0) break;
      continue;
    }
    for (const m of (line.split('|')[1] ?? '').matchAll(/\b(\d{1,3})\b/g)) codes.add(Number(m[1]));
  }
  return codes;
}

export interface Failure {
  readonly index: number;
  readonly engine: Engine;
  readonly family: string;
  readonly what: string;
  readonly args: readonly string[];
  readonly reason: string;
  readonly code: number | null;
  readonly output: string;
}

interface Store {
  readonly engine: Engine;
  readonly url: string;
  counts(): Promise<string>;
  close(): Promise<void>;
}

const COUNT_SQL = `SELECT 'streams=' || (SELECT count(*) FROM warden.streams) || ' events=' || (SELECT count(*) FROM warden.events)
  || ' snapshots=' || (SELECT count(*) FROM warden.snapshots) || ' inbox=' || (SELECT count(*) FROM warden.inbox)
  || ' candles=' || (SELECT count(*) FROM warden.candles) || ' raw_rows=' || (SELECT count(*) FROM warden.raw_rows)
  || ' series=' || (SELECT count(*) FROM warden.market_series) || ' migrations=' || (SELECT count(*) FROM warden.schema_migrations)
  || ' batches_accepted=' || (SELECT count(*) FROM warden.ingest_batches WHERE status = 'accepted') AS c,
  (SELECT count(*) FROM warden.ingest_batches WHERE status <> 'accepted')::int AS rejected`;

/** "counts|rejected": the counts that must not move, and the rejection records (which may grow on a 65 from ingest). */
async function pgCounts(client: pg.Client): Promise<string> {
  const r = await client.query<{ c: string; rejected: number }>(COUNT_SQL);
  return `${r.rows[0]!.c}|${r.rows[0]!.rejected}`;
}

function cli(args: readonly string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const cap = (s: string, d: Buffer) => (s.length < 200_000 ? s + d.toString('utf8') : s);
    child.stdout.on('data', (d: Buffer) => (stdout = cap(stdout, d)));
    child.stderr.on('data', (d: Buffer) => (stderr = cap(stderr, d)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, timedOut });
    });
  });
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WARDEN_') && !k.startsWith('NODE_') && v !== undefined) env[k] = v;
  return env;
}

/** A migrated store holding the first 150 real candles and one persisted backtest (a book stream for the replay verbs). */
async function makeStore(engine: Engine, dir: string): Promise<Store> {
  let url: string;
  let drop: () => Promise<void> = async () => undefined;
  if (engine === 'pglite') {
    await seedPgliteDir(join(dir, 'store.pglite')); // a new store without initdb's cost (../support/pglite-template.ts); migrated below
    url = `pglite:${join(dir, 'store.pglite')}`;
  } else {
    await requirePostgres();
    const db = await tempPgDatabase(adminPgUrl(), uniqueName('warden_fuzz'));
    url = db.url;
    drop = db.drop;
  }
  const seedDir = join(dir, 'seed');
  mkdirSync(seedDir, { recursive: true });
  writeFileSync(join(seedDir, 'XBTUSD_60.csv'), seedCsvRows(150).join('\n') + '\n');
  writeFileSync(join(seedDir, 'book.json'), JSON.stringify(referenceBook('XBTUSD_60.csv')));
  const env = { ...baseEnv(), WARDEN_DATABASE_URL: url, WARDEN_LOG_LEVEL: 'error' };
  for (const args of [['migrate'], ['backtest', '--config', 'book.json', '--persist']]) {
    const r = await cli(args, seedDir, env, 120_000);
    if (r.code !== 0) throw new Error(`fuzz store set-up (${engine}) ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  }
  if (engine === 'postgres') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return { engine, url, counts: () => pgCounts(client), close: async () => { await client.end(); await drop(); } };
  }
  return pgliteStore(join(dir, 'store.pglite'));
}

function pgliteStore(pgliteDir: string): Store {
  return {
    engine: 'pglite', url: `pglite:${pgliteDir}`,
    counts: async () => {
      const { PGlite } = await import('@electric-sql/pglite');
      const { pgliteStartParams } = await import('../../src/store/pglite.js');
      const db = await PGlite.create(pgliteDir, { startParams: pgliteStartParams(PGlite.defaultStartParams) });
      try {
        const r = await db.query<{ c: string; rejected: number }>(COUNT_SQL);
        return `${r.rows[0]!.c}|${r.rows[0]!.rejected}`;
      } finally {
        await db.close();
      }
    },
    close: async () => undefined,
  };
}

/** Another worker's PGlite store: a copy of a set-up one (no second migrate + persist). */
function copyPglite(from: Store, dir: string): Store {
  const src = from.url.slice('pglite:'.length);
  const dst = join(dir, 'store.pglite');
  mkdirSync(dir, { recursive: true });
  cpSync(src, dst, { recursive: true });
  return pgliteStore(dst);
}

/** Every file under `dir` (recursively, not into FIFOs) with its size: what a failed case must leave as it found. */
function listing(dir: string): string {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      out.push(`${rel}${name}:${st.isDirectory() ? 'dir' : st.isFIFO() ? 'fifo' : st.size}`);
      if (st.isDirectory()) walk(p, `${rel}${name}/`);
    }
  };
  walk(dir, '');
  return out.join('\n');
}

function layOut(c: FuzzCase, dir: string, storeUrl: string): void {
  mkdirSync(dir, { recursive: true });
  for (const f of c.files) {
    const p = join(dir, f.path);
    if ('special' in f) {
      if (f.special === 'dir') mkdirSync(p, { recursive: true });
      else if (spawnSync('mkfifo', [p]).status !== 0) throw new Error(`mkfifo ${p} failed`);
    } else {
      writeFileSync(p, typeof f.content === 'string' ? f.content.replaceAll('{store_url}', storeUrl) : f.content);
    }
  }
}

const STACK_RE = /^\s+at .+:\d+:\d+\)?$/m;
const counted = (s: string) => s.split('|')[0]!;
const rejections = (s: string) => Number(s.split('|')[1]);

/** Checks one finished case; returns why it fails, or null. */
function verdict(c: FuzzCase, r: { code: number | null; stdout: string; stderr: string; timedOut: boolean }, allowed: Set<number>, before: string | null, after: string | null, dirBefore: string, dirAfter: string): string | null {
  if (r.timedOut) return `no exit within ${CASE_TIMEOUT_MS} ms (hang)`;
  if (r.code === null) return 'killed by a signal';
  if (r.code === 70) return 'exit 70: an internal error (a bug)';
  if (!allowed.has(r.code)) return `exit ${r.code} is not in the README's exit-code table`;
  if (STACK_RE.test(r.stderr)) return 'a stack trace without --debug';
  if (r.code === 0) return null;
  const out = r.stderr + r.stdout;
  if (!/\S/.test(r.stderr) && !/"error"|"violations"/.test(r.stdout)) return 'failed with no message';
  // A refused input (64 usage, 65 data, 69 store path, 78 config) names what was wrong; a failed
  // check (1) or a held store (75) says what it found, which need not be one of the case's words.
  const refusal = r.code === 64 || r.code === 65 || r.code === 69 || r.code === 78;
  if (refusal && !c.names.some((n) => n !== '' && out.includes(n))) return `the message names none of ${JSON.stringify(c.names.slice(0, 8))}`;
  if (dirAfter !== dirBefore) return `files changed in the case directory:\n--- before\n${dirBefore}\n--- after\n${dirAfter}`;
  if (before !== null && after !== null) {
    if (counted(before) !== counted(after)) return `store rows changed: ${counted(before)} -> ${counted(after)}`;
    const ingest65 = r.code === 65 && c.args.includes('ingest');
    if (rejections(after) !== rejections(before) && !(ingest65 && rejections(after) > rejections(before))) return `rejection records changed: ${rejections(before)} -> ${rejections(after)}`;
  }
  return null;
}

export interface FuzzOptions {
  readonly seed: number;
  readonly cases: number;
  /** First case index (to replay one case: from I, cases 1). */
  readonly from?: number;
  /** Parallel workers per engine, each with a store of its own (PGlite is one process per directory). */
  readonly workers: Readonly<Partial<Record<Engine, number>>>;
  readonly onCase?: (c: FuzzCase, engine: Engine, failure: Failure | null, ms: number) => void;
}

export interface FuzzResult {
  readonly failures: Failure[];
  readonly byCode: Map<number, number>;
  readonly perEngine: Map<Engine, number>;
}

/**
 * The engine of case `index`: with both, every third round of the families runs on PGlite (opening an embedded
 * store takes seconds; most cases are refused before any store is opened, on either engine).
 */
export function engineOf(index: number, engines: readonly Engine[]): Engine {
  if (engines.length === 1) return engines[0]!;
  return Math.floor(index / FAMILIES.length) % 3 === 2 ? 'pglite' : 'postgres'; // a whole round of the families at a time
}

/** One worker: runs the cases it takes from `queue` against its own store. */
async function work(o: FuzzOptions, store: Store, queue: number[], root: string, tag: string, allowed: Set<number>, res: FuzzResult): Promise<void> {
  const pgliteWindow: number[] = [];
  let pgliteBase = store.engine === 'pglite' ? await store.counts() : '';
  const checkPglite = async (rebase: boolean) => {
    const now = await store.counts();
    if (counted(now) !== counted(pgliteBase) && !rebase) {
      res.failures.push({ index: pgliteWindow[0] ?? -1, engine: 'pglite', family: 'pglite-window', what: `one of cases ${pgliteWindow.join(', ')}`, args: [], reason: `store rows changed: ${counted(pgliteBase)} -> ${counted(now)}`, code: null, output: '' });
    }
    pgliteBase = now;
    pgliteWindow.length = 0;
  };
  for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
    const c = makeCase(o.seed, i);
    const dir = join(root, `${tag}-case${i}`);
    layOut(c, dir, store.url);
    const dirBefore = listing(dir);
    const before = store.engine === 'postgres' ? await store.counts() : null;
    const env: Record<string, string> = { ...baseEnv(), ...(c.ownConfig ? {} : { WARDEN_DATABASE_URL: store.url, WARDEN_LOG_LEVEL: 'error' }) };
    for (const [k, v] of Object.entries(c.env)) env[k] = v.replaceAll('{store_url}', store.url);
    const t0 = Date.now();
    const r = await cli(c.args, dir, env, CASE_TIMEOUT_MS);
    const ms = Date.now() - t0;
    const after = store.engine === 'postgres' ? await store.counts() : null;
    const reason = verdict(c, r, allowed, before, after, dirBefore, listing(dir));
    const failure = reason === null ? null : { index: i, engine: store.engine, family: c.family, what: c.what, args: c.args, reason, code: r.code, output: (r.stderr + r.stdout).slice(0, 2000) };
    if (failure) res.failures.push(failure);
    if (r.code !== null) res.byCode.set(r.code, (res.byCode.get(r.code) ?? 0) + 1);
    res.perEngine.set(store.engine, (res.perEngine.get(store.engine) ?? 0) + 1);
    o.onCase?.(c, store.engine, failure, ms);
    if (store.engine === 'pglite') {
      if (r.code === 0) await checkPglite(true); // a success may write: re-baseline
      else {
        pgliteWindow.push(i);
        if (pgliteWindow.length >= PGLITE_CHECK_EVERY) await checkPglite(false);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  if (store.engine === 'pglite' && pgliteWindow.length > 0) await checkPglite(false);
}

/** Runs cases [from, from + cases) of the seed, each engine's cases shared by its workers. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const allowed = readmeExitCodes();
  allowed.delete(70);
  const engines = (['pglite', 'postgres'] as const).filter((e) => (o.workers[e] ?? 0) > 0);
  if (engines.length === 0) throw new Error('fuzz: no worker on any engine');
  const root = mkdtempSync(join(tmpdir(), 'warden-fuzz-'));
  const res: FuzzResult = { failures: [], byCode: new Map(), perEngine: new Map() };
  const from = o.from ?? 0;
  const queues = new Map<Engine, number[]>(engines.map((e) => [e, []]));
  for (let i = from; i < from + o.cases; i++) queues.get(engineOf(i, engines))!.push(i);
  const stores: Store[] = [];
  try {
    await Promise.all(engines.map(async (engine) => {
      const first = await makeStore(engine, join(root, `${engine}-0`));
      stores.push(first);
      const mine = [first];
      for (let w = 1; w < o.workers[engine]!; w++) {
        const s = engine === 'pglite' ? copyPglite(first, join(root, `${engine}-${w}`)) : await makeStore(engine, join(root, `${engine}-${w}`));
        stores.push(s);
        mine.push(s);
      }
      await Promise.all(mine.map((s, w) => work(o, s, queues.get(engine)!, root, `${engine}${w}`, allowed, res)));
    }));
  } finally {
    for (const s of stores) await s.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
  return res;
}
