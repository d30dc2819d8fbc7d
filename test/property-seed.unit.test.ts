/**
 * The property tests' seed (test/support/property.ts): a new one each run, printed, and a printed
 * one replays the same cases; a bad PROPERTY_SEED is refused by name instead of silently
 * running other cases. No property test may pin its own seed (that would test the same cases
 * every run): the sources are scanned for it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { propertySeedOf } from './support/property.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HELPER = join(ROOT, 'dist/test/support/property.js');
// What a property file sees: the printed seed, then fast-check's first generated values.
const PROBE = `import(${JSON.stringify(HELPER)}).then(async () => { const fc = (await import('fast-check')).default; console.log(JSON.stringify(fc.sample(fc.integer(), 5))); });`;

function probe(seed?: string): { seed: number; sample: string } {
  const env = { ...process.env };
  delete env.PROPERTY_SEED;
  if (seed !== undefined) env.PROPERTY_SEED = seed;
  const r = spawnSync(process.execPath, ['-e', PROBE], { cwd: ROOT, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const m = /^property tests: PROPERTY_SEED=(-?\d+) /m.exec(r.stdout);
  assert.ok(m, `the seed is printed: ${r.stdout}`);
  return { seed: Number(m[1]), sample: r.stdout.trim().split('\n').pop()! };
}

test('each run draws and prints a new seed; PROPERTY_SEED replays exactly the cases of the printed one', () => {
  const a = probe();
  const b = probe();
  assert.notEqual(a.seed, b.seed, 'two runs drew the same seed');
  assert.notEqual(a.sample, b.sample, 'two runs generated the same cases');
  const replay = probe(String(a.seed));
  assert.equal(replay.seed, a.seed);
  assert.equal(replay.sample, a.sample);
});

test('PROPERTY_SEED is a 32-bit integer or refused naming the variable', () => {
  assert.equal(propertySeedOf('42'), 42);
  assert.equal(propertySeedOf('-2147483648'), -(2 ** 31));
  assert.equal(propertySeedOf(undefined, () => 7), 7);
  assert.equal(propertySeedOf('', () => 7), 7);
  for (const bad of ['x', '1.5', '1e3', '2147483648', ' 42', '0x10', '99999999999']) {
    assert.throws(() => propertySeedOf(bad), /^Error: PROPERTY_SEED ".*": expected an integer/, bad);
  }
});

test('no property test pins its own seed, and every file using fast-check takes the run seed', () => {
  const files: string[] = [];
  (function walk(dir: string) {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.ts')) files.push(p);
    }
  })(join(ROOT, 'src'));
  const pinned: string[] = [];
  const unseeded: string[] = [];
  let properties = 0;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (!text.includes('fast-check')) continue;
    properties++;
    if (/\bseed:\s*\d/.test(text)) pinned.push(f.slice(ROOT.length));
    if (!text.includes('test/support/property.js')) unseeded.push(f.slice(ROOT.length));
  }
  assert.ok(properties > 0, 'no test file uses fast-check: this check would check nothing');
  assert.deepEqual(pinned, [], 'a property pins its seed');
  assert.deepEqual(unseeded, [], 'a property file does not import test/support/property.js');
});
