/** infra/.env.schema.md and the zod schema list the same variables; the profiles use only known ones. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { VARS, validateConfig } from '../src/runtime/config/index.js';
import { parseEnvFile } from '../src/runtime/config/env-file.js';

test('every schema variable has a row in infra/.env.schema.md and every row is in the schema', () => {
  const doc = readFileSync('infra/.env.schema.md', 'utf8');
  const documented = [...doc.matchAll(/^\| `(WARDEN_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!).sort();
  assert.deepEqual(documented, Object.keys(VARS).sort());
});

test('the shipped profiles are valid and contain only known variables', () => {
  for (const file of ['config/embedded.env', '.env.example']) {
    const env = parseEnvFile(readFileSync(file, 'utf8'), file);
    assert.doesNotThrow(() => validateConfig(env, []), file);
    assert.ok(Object.keys(env).length > 0, file);
  }
});
