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
import { z } from 'zod';
import { parseStoreUrl } from '../../store/open.js';
import { ConfigError } from './errors.js';
import { readEnvFile } from './env-file.js';

export { ConfigError } from './errors.js';

export const ENV_PREFIX = 'WARDEN_';

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
} as const satisfies Record<string, VarSpec>;

export type VarName = keyof typeof VARS;
export type Config = { [K in VarName]: z.infer<(typeof VARS)[K]['schema']> };

/** Variables every store-using command needs. */
export const STORE_VARS: readonly VarName[] = ['WARDEN_DATABASE_URL', 'WARDEN_LOG_LEVEL'];

const KNOWN = Object.keys(VARS) as VarName[];

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
  const fromFile = envFile ? readEnvFile(envFile) : {};
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
