/**
 * zod is loaded as one file: every module imports it through src/core/zod.ts, whose build output
 * scripts/bundle-zod.mjs replaces with zod bundled into one ES module (see that file). A direct
 * import of 'zod' elsewhere would load the package's ~95 files again, beside the bundle.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test("no source file but src/core/zod.ts imports 'zod' itself", () => {
  const direct = ['src', 'test', 'bench'].flatMap((d) => sources(d)).filter((f) => /from ['"]zod(\/[^'"]*)?['"]/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(direct, [join('src', 'core', 'zod.ts')]);
});

test('the built src/core/zod.js is zod in one module (no import of another file) and works', async () => {
  const built = readFileSync(join('dist', 'src', 'core', 'zod.js'), 'utf8');
  assert.doesNotMatch(built, /^\s*import\s/m, 'the bundle imports nothing');
  assert.doesNotMatch(built, /from ['"]zod['"]/, 'not a re-export of the package');
  const { z } = (await import('../src/core/zod.js')) as typeof import('../src/core/zod.js');
  const schema = z.object({ n: z.number().int() }).strict();
  assert.deepEqual(schema.parse({ n: 3 }), { n: 3 });
  const bad = schema.safeParse({ n: 1.5, x: 1 });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues.map((i) => i.code).sort(), ['invalid_type', 'unrecognized_keys']);
});
