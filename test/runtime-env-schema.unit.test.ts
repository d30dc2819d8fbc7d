/**
 * Keeps the configuration docs and profiles in step with the schema: every variable in VARS has
 * exactly one row in infra/.env.schema.md and every row is in VARS; both profiles
 * (config/embedded.env, .env.example) set every runtime variable and validate; the execution
 * plane has exactly PAPER and SHADOW and nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, RUNTIME_VARS, validateConfig, VARS } from '../src/runtime/config/index.js';
import { readEnvFile } from '../src/runtime/config/env-file.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('infra/.env.schema.md has one row per variable, and no row for an unknown one', () => {
  const md = readFileSync(`${root}infra/.env.schema.md`, 'utf8');
  const rows = [...md.matchAll(/^\| `(WARDEN_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
  assert.deepEqual([...rows].sort(), [...new Set(rows)].sort(), 'a variable has two rows');
  assert.deepEqual([...rows].sort(), Object.keys(VARS).sort());
});

for (const profile of ['config/embedded.env', '.env.example']) {
  test(`${profile} sets every runtime variable and validates`, () => {
    const env = readEnvFile(`${root}${profile}`);
    for (const name of RUNTIME_VARS) assert.ok(env[name], `${profile} does not set ${name}`);
    const config = validateConfig(env, RUNTIME_VARS);
    assert.ok(['PAPER', 'SHADOW'].includes(config.WARDEN_EXECUTION_PLANE!));
  });
}

test('the execution plane is PAPER or SHADOW; LIVE or anything else is refused', () => {
  assert.deepEqual([...VARS.WARDEN_EXECUTION_PLANE.schema.options].sort(), ['PAPER', 'SHADOW']);
  for (const bad of ['LIVE', 'live', 'paper', 'REAL']) {
    assert.throws(() => validateConfig({ WARDEN_EXECUTION_PLANE: bad }, []), (e: Error) => e instanceof ConfigError && /WARDEN_EXECUTION_PLANE/.test(e.message));
  }
});

test('runtime variables reject out-of-range values with the expected form', () => {
  const cases: Record<string, string> = {
    WARDEN_HTTP_HOST: '0.0.0.0',
    WARDEN_HTTP_PORT: '70000',
    WARDEN_SNAPSHOT_EVERY_EVENTS: '0',
    WARDEN_LEASE_TTL_MS: '1000',
    WARDEN_BOOK: 'Main Book',
  };
  for (const [name, value] of Object.entries(cases)) {
    assert.throws(() => validateConfig({ [name]: value }, []), (e: Error) => e instanceof ConfigError && e.message.includes(name) && /expected/.test(e.message), name);
  }
  const ok = validateConfig({ WARDEN_HTTP_HOST: '::1', WARDEN_HTTP_PORT: '0', WARDEN_LEASE_TTL_MS: '3000' }, []);
  assert.equal(ok.WARDEN_HTTP_PORT, 0);
  assert.equal(ok.WARDEN_LEASE_TTL_MS, 3000);
});

test('the runtime requires all of its variables: each missing one is named', () => {
  try {
    validateConfig({}, RUNTIME_VARS);
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    for (const name of RUNTIME_VARS) assert.ok(e.problems.some((p) => p.startsWith(`${name} is required`)), name);
  }
});
