/**
 * Configuration: environment variables with the WARDEN_ prefix, one zod schema, validated
 * strictly before anything else runs. Every variable is documented in infra/.env.schema.md
 * (a test keeps that file and this schema in step).
 *
 * Rules: no defaults in code (explicit profiles instead: config/embedded.env, .env.example);
 * a missing required variable, an unknown WARDEN_* variable (with the nearest known name
 * suggested) or a malformed value is a ConfigError (exit 78) listing every problem at once.
 * Each consumer (a CLI command, the runtime) states which variables it requires; all known
 * variables are accepted everywhere so one profile serves every command.
 */
import { closest, distance } from 'fastest-levenshtein';
import { z } from '../../core/zod.js';
import { EXECUTION_PLANES } from '../../core/book/events.js';
import { BOOK_ID_RE } from '../../core/book/state.js';
import { parseStoreUrl } from '../../store/open.js';
import { ConfigError } from './errors.js';
import { readEnvFile } from './env-file.js';

export { ConfigError } from './errors.js';

export const ENV_PREFIX = 'WARDEN_';
/** The most books one runtime process runs (WARDEN_BOOKS). */
export const BOOKS_PER_RUNTIME_MAX = 32;

interface VarSpec {
  schema: z.ZodType;
  /** What it means, for the "missing" message and the docs. */
  meaning: string;
  /** The expected form, for the "malformed" message. */
  expected: string;
}

export const VARS = {
  WARDEN_DATABASE_URL: {
    schema: z.string().refine((v) => parseStoreUrl(v) !== null),
    meaning: 'where the store lives: the embedded PGlite directory or a PostgreSQL server',
    expected: 'pglite:<directory> (e.g. pglite:./var/warden.pglite), pglite:memory:, or postgres://user@host:5432/db',
  },
  WARDEN_LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
    meaning: 'the lowest level of structured log lines written',
    expected: 'one of fatal, error, warn, info, debug, trace',
  },
  // The paper runtime's own variables (F2; infra/RUNTIME_STARTUP_SEQUENCE.md).
  WARDEN_BOOK: {
    schema: z.string().regex(BOOK_ID_RE),
    meaning: 'the book this runtime runs; its event stream is book:<id>',
    expected: 'lower-case letters, digits, _ . - (1-64 characters, e.g. main)',
  },
  WARDEN_BOOKS: {
    schema: z.string().max(4096).transform((v) => v.split(',').map((x) => x.trim()))
      .refine((ids) => ids.length >= 1 && ids.length <= BOOKS_PER_RUNTIME_MAX && ids.every((id) => BOOK_ID_RE.test(id)) && new Set(ids).size === ids.length),
    meaning: 'instead of WARDEN_BOOK: the books this runtime runs, each with its own stream book:<id>, lease, step loop and snapshots; a failure stops that book only (on PostgreSQL, runtimes given the same list split the books by lease)',
    expected: `a comma list of 1-${BOOKS_PER_RUNTIME_MAX} distinct book ids (lower-case letters, digits, _ . -), e.g. btc,eth,btc-slow`,
  },
  WARDEN_BOOK_CONFIG_DIR: {
    schema: z.string().min(1).max(4096),
    meaning: 'optional, with WARDEN_BOOKS: the directory holding each book\'s config as <id>.book.json (every listed book must have one); unset = books without a market (pause/resume only)',
    expected: 'a directory path, e.g. ./config/books',
  },
  WARDEN_EXECUTION_PLANE: {
    schema: z.enum(EXECUTION_PLANES),
    meaning: 'where orders go: PAPER (simulated fills) or SHADOW (recorded, never filled); there is no live plane',
    expected: 'PAPER or SHADOW',
  },
  WARDEN_HTTP_HOST: {
    schema: z.string().refine((v) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v) || v === '::1'),
    meaning: 'the loopback address the runtime serves /healthz and /readyz on',
    expected: 'a loopback address: 127.0.0.1 (any 127.x.x.x) or ::1',
  },
  WARDEN_HTTP_PORT: {
    schema: z.string().regex(/^\d{1,5}$/).transform(Number).refine((n) => n <= 65535),
    meaning: 'the TCP port of /healthz and /readyz (0 = a free port chosen at start, logged as http_port in the config_validated and ready lines)',
    expected: 'an integer 0..65535',
  },
  WARDEN_SNAPSHOT_EVERY_EVENTS: {
    schema: z.string().regex(/^\d{1,7}$/).transform(Number).refine((n) => n >= 1 && n <= 1_000_000),
    meaning: 'the runtime writes a state snapshot after this many new events (and always on clean shutdown)',
    expected: 'an integer 1..1000000',
  },
  WARDEN_SNAPSHOT_DIR: {
    schema: z.string().min(1).max(4096),
    meaning: 'directory where the runtime also writes each snapshot as a canonical JSON file (an operator copy; the store is the authority)',
    expected: 'a writable directory path (created if absent), e.g. ./var/snapshots',
  },
  WARDEN_LEASE_TTL_MS: {
    schema: z.string().regex(/^\d{1,9}$/).transform(Number).refine((n) => n >= 3000 && n <= 600_000),
    meaning: "the book's writer lease lifetime; renewed every third of it; a crashed runtime blocks another for at most this long",
    expected: 'an integer 3000..600000 (milliseconds)',
  },
  WARDEN_BOOK_CONFIG: {
    schema: z.string().min(1).max(4096),
    meaning: 'optional: a book config (BOOK.json, the schema of `warden backtest --config`, data.source {"kind": "store"}) the runtime trades on the stored candles; unset = a book without a market (pause/resume only)',
    expected: 'a path to a readable JSON file, e.g. ./config/paper.book.json',
  },
  WARDEN_FEEDS: {
    schema: z.string().min(1).max(4096),
    meaning: 'optional: a feeds file ({"feeds": [...]}, README "Feeds") the runtime runs in-process, writing candles through the ingestion gate; unset = no feeds (candles come from `warden ingest` or a `warden feed` process on PostgreSQL)',
    expected: 'a path to a readable JSON file, e.g. ./config/feeds.json',
  },
  WARDEN_API_PORT: {
    schema: z.string().regex(/^\d{1,5}$/).transform(Number).refine((n) => n <= 65535),
    meaning: 'optional: the runtime also serves the read-only API, /metrics and the dashboard on WARDEN_HTTP_HOST at this port (0 = a free port, logged in api_listening); unset = not served',
    expected: 'an integer 0..65535',
  },
  WARDEN_MONITOR_INTERVAL_MS: {
    schema: z.string().regex(/^\d{1,7}$/).transform(Number).refine((n) => n === 0 || (n >= 1000 && n <= 3_600_000)),
    meaning: 'optional: how often the runtime runs its monitors (stale data, gaps, drawdown near a tier, tick lag, feed errors -> audit:suggestions); 0 = off; unset = every 30000 ms',
    expected: 'an integer 0 or 1000..3600000 (milliseconds)',
  },
} as const satisfies Record<string, VarSpec>;

export type VarName = keyof typeof VARS;
export type Config = { [K in VarName]: z.infer<(typeof VARS)[K]['schema']> };

/** Variables every store-using command needs. */
export const STORE_VARS: readonly VarName[] = ['WARDEN_DATABASE_URL', 'WARDEN_LOG_LEVEL'];

/** Variables the runtime reads when set (not required). */
export const RUNTIME_OPTIONAL_VARS = ['WARDEN_BOOK_CONFIG', 'WARDEN_FEEDS', 'WARDEN_API_PORT', 'WARDEN_MONITOR_INTERVAL_MS', 'WARDEN_BOOKS', 'WARDEN_BOOK_CONFIG_DIR'] as const satisfies readonly VarName[];

/** Variables the paper runtime (npm run start:paper) needs: all of its own except RUNTIME_OPTIONAL_VARS. */
export const RUNTIME_VARS = [
  'WARDEN_DATABASE_URL', 'WARDEN_LOG_LEVEL', 'WARDEN_BOOK', 'WARDEN_EXECUTION_PLANE', 'WARDEN_HTTP_HOST',
  'WARDEN_HTTP_PORT', 'WARDEN_SNAPSHOT_EVERY_EVENTS', 'WARDEN_SNAPSHOT_DIR', 'WARDEN_LEASE_TTL_MS',
] as const satisfies readonly VarName[];

const KNOWN = Object.keys(VARS) as VarName[];

/** What the runtime requires in `env`: RUNTIME_VARS, with WARDEN_BOOKS standing in for WARDEN_BOOK when set. */
export function runtimeRequired(env: Record<string, string | undefined>): readonly VarName[] {
  const books = env.WARDEN_BOOKS;
  return books !== undefined && books !== '' ? RUNTIME_VARS.filter((v) => v !== 'WARDEN_BOOK') : RUNTIME_VARS;
}

function suggestion(name: string): string {
  const near = closest(name, KNOWN);
  return distance(name, near) <= Math.max(3, Math.floor(name.length / 4)) ? ` (did you mean ${near}?)` : '';
}

/**
 * Validates `env` (process.env merged over the env file) and returns the typed values of the
 * known variables that are set. Throws ConfigError listing every problem.
 */
export function validateConfig(env: Record<string, string | undefined>, required: readonly VarName[]): Partial<Config> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith(ENV_PREFIX) && !(name in VARS)) {
      problems.push(`${name} is not a Warden variable${suggestion(name)}; known: ${KNOWN.join(', ')}`);
    }
  }
  for (const name of KNOWN) {
    const raw = env[name];
    const spec: VarSpec = VARS[name];
    if (raw === undefined || raw === '') {
      if (required.includes(name)) problems.push(`${name} is required: ${spec.meaning}. Expected ${spec.expected}`);
      continue;
    }
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) problems.push(`${name}=${JSON.stringify(raw)} is malformed: expected ${spec.expected}`);
    else out[name] = parsed.data;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as Partial<Config>;
}

/** The environment a command sees: the env file (if given), overridden by the process environment. */
export function loadEnv(envFile: string | undefined, processEnv: Record<string, string | undefined>): Record<string, string | undefined> {
  const fromFile = envFile !== undefined ? readEnvFile(envFile) : {};
  return { ...fromFile, ...processEnv };
}

/** Loads and validates; the result has every required variable set. */
export function loadConfig<R extends VarName>(
  envFile: string | undefined,
  processEnv: Record<string, string | undefined>,
  required: readonly R[],
): Partial<Config> & Pick<Config, R> {
  return validateConfig(loadEnv(envFile, processEnv), required) as Partial<Config> & Pick<Config, R>;
}
