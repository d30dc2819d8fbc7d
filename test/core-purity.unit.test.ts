/**
 * The determinism guard: the eslint rule for src/core fires on every forbidden construct (and
 * not on the same code outside src/core), and the committed src/core tree lints clean.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  return res!.messages.map((m) => m.ruleId ?? `fatal:${m.message}`);
}

const forbidden: [string, string][] = [
  ['export const t = Date.now();', 'no-restricted-properties'],
  ['export const t = new Date();', 'no-restricted-globals'],
  ['export const r = Math.random();', 'no-restricted-properties'],
  ['export const e = process.env.HOME;', 'no-restricted-globals'],
  ["import { readFileSync } from 'node:fs';\nexport const f = readFileSync;", 'no-restricted-imports'],
  ["import * as fs from 'fs';\nexport const f = fs;", 'no-restricted-imports'],
  ["import { request } from 'node:http';\nexport const f = request;", 'no-restricted-imports'],
  ["import { hostname } from 'node:os';\nexport const f = hostname;", 'no-restricted-imports'],
  ['export const h = setTimeout(() => 1, 10);', 'no-restricted-globals'],
  ['export const p = performance.now();', 'no-restricted-globals'],
  ['export const u = crypto.getRandomValues(new Uint8Array(4));', 'no-restricted-globals'],
  ["import { EventStore } from '../../store/event-store.js';\nexport const s = EventStore;", 'no-restricted-imports'],
  ["import pg from 'pg';\nexport const s = pg;", 'no-restricted-imports'],
];

for (const [code, rule] of forbidden) {
  test(`src/core forbids: ${code.split('\n').pop()}`, async () => {
    assert.ok((await ruleIds(code, 'src/core/money/x.ts')).includes(rule), `expected ${rule}`);
    assert.ok(!(await ruleIds(code, 'src/runtime/x.ts')).includes(rule), 'the rule is specific to src/core');
  });
}

test('hashing with node:crypto createHash stays allowed in src/core', async () => {
  const ids = await ruleIds("import { createHash } from 'node:crypto';\nexport const h = createHash('sha256');", 'src/core/canonical/x.ts');
  assert.deepEqual(ids, []);
});

test('the committed src/core tree has no purity violation', async () => {
  // Only the purity rules: general style findings are the lint step's business.
  const purity = new Set(['no-restricted-globals', 'no-restricted-properties', 'no-restricted-imports']);
  const results = await eslint.lintFiles(['src/core/**/*.ts']);
  const problems = results.flatMap((r) =>
    r.messages.filter((m) => m.ruleId === null || purity.has(m.ruleId)).map((m) => `${r.filePath}:${m.line} ${m.ruleId}: ${m.message}`),
  );
  assert.ok(results.length > 5, 'src/core files were linted');
  assert.deepEqual(problems, []);
});
