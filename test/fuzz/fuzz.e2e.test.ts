/**
 * The fuzz suite's short form, run by CI: FUZZ_CASES generated bad inputs (default 200; every
 * family, both engines) against the real CLI, with a new seed each run (printed; FUZZ_SEED
 * reproduces it). Every case must end within its bound with an exit code from the README's
 * table (never 70), no stack trace, a message naming the file:line / field / variable / option,
 * and nothing written (runner.ts). The long form: npm run fuzz -- --cases 2000.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import { FAMILIES } from './cases.js';
import { readmeExitCodes, runFuzz } from './runner.js';

/** Limits: fewer cases would not reach every family on both engines. */
const FUZZ_CASES_MIN = 3 * FAMILIES.length;

test('the README exit-code table is what the fuzzer checks against', () => {
  const codes = readmeExitCodes();
  for (const c of [0, 1, 64, 65, 69, 70, 74, 75, 78]) assert.ok(codes.has(c), `exit ${c} is in the README table`);
  assert.ok(!codes.has(9), 'exit 9 (node: bad --env-file) is not one of ours');
});

test('seeded bad inputs: no crash, hang, stack trace, unnamed error or partial write', async () => {
  const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31);
  const cases = process.env.FUZZ_CASES !== undefined ? Number(process.env.FUZZ_CASES) : 200;
  assert.ok(Number.isSafeInteger(seed) && seed >= 0, `FUZZ_SEED=${process.env.FUZZ_SEED}: expected an integer >= 0`);
  assert.ok(Number.isSafeInteger(cases) && cases >= FUZZ_CASES_MIN, `FUZZ_CASES=${process.env.FUZZ_CASES}: expected an integer >= ${FUZZ_CASES_MIN} (every family on both engines)`);
  process.stdout.write(`# fuzz seed ${seed}, ${cases} cases (reproduce: FUZZ_SEED=${seed} FUZZ_CASES=${cases}, or npm run fuzz -- --seed ${seed} --cases ${cases})\n`);
  const r = await runFuzz({ seed, cases, workers: { pglite: 2, postgres: 2 } });
  const text = r.failures.map((f) => `case ${f.index} [${f.engine}] ${f.family}: ${f.reason}\n  ${f.what}\n  args ${JSON.stringify(f.args)}\n  ${f.output.split('\n').slice(0, 4).join('\n  ')}`).join('\n');
  process.stdout.write(`# fuzz exit codes ${JSON.stringify(Object.fromEntries(r.byCode))}, per engine ${JSON.stringify(Object.fromEntries(r.perEngine))}\n`);
  assert.equal(r.failures.length, 0, `seed ${seed}: ${r.failures.length} failing case(s):\n${text}`);
  assert.ok((r.perEngine.get('pglite') ?? 0) > 0 && (r.perEngine.get('postgres') ?? 0) > 0, 'both engines ran cases');
});
