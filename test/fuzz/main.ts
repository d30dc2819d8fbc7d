/**
 * The long form of the fuzz suite: `npm run fuzz -- --cases 2000 [--seed S] [--from I] [--engines pglite,postgres] [--pglite-workers 2] [--postgres-workers 2]`.
 * Prints the seed first (a run reproduces from it; one case from --seed S --from I --cases 1),
 * every failure with its case index, and a summary; exits 1 when any case failed.
 */
import { randomInt } from 'node:crypto';
import { runFuzz, type Engine } from './runner.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function int(name: string, dflt: number, max: number): number {
  const text = arg(name);
  if (text === undefined) return dflt;
  if (!/^\d{1,10}$/.test(text) || Number(text) > max) {
    process.stderr.write(`fuzz: --${name} ${JSON.stringify(text)}: expected an integer 0..${max}\n`);
    process.exit(64);
  }
  return Number(text);
}

const seed = int('seed', randomInt(2 ** 31), 2 ** 32 - 1);
const cases = int('cases', 2000, 1_000_000);
const from = int('from', 0, 1_000_000_000);
const engines = (arg('engines') ?? 'pglite,postgres').split(',') as Engine[];
if (!engines.every((e) => e === 'pglite' || e === 'postgres')) {
  process.stderr.write('fuzz: --engines: pglite, postgres or both (comma-separated)\n');
  process.exit(64);
}
const workers = { pglite: engines.includes('pglite') ? int('pglite-workers', 2, 16) : 0, postgres: engines.includes('postgres') ? int('postgres-workers', 2, 16) : 0 };
process.stdout.write(`fuzz: seed ${seed}, cases ${from}..${from + cases - 1}, workers ${JSON.stringify(workers)} (reproduce: npm run fuzz -- --seed ${seed} --from ${from} --cases ${cases})\n`);
const t0 = Date.now();
let done = 0;
const r = await runFuzz({
  seed, cases, from, workers,
  onCase: (c, engine, failure) => {
    done++;
    if (failure) process.stdout.write(`FAIL case ${c.index} [${engine}] ${c.family}: ${failure.reason}\n  ${c.what}\n  args ${JSON.stringify(c.args)}\n  ${failure.output.split('\n').slice(0, 6).join('\n  ')}\n`);
    if (done % 100 === 0) process.stdout.write(`fuzz: ${done}/${cases} cases, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  },
});
const codes = [...r.byCode.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(' ');
const engineText = [...r.perEngine.entries()].map(([e, n]) => `${e} ${n}`).join(', ');
process.stdout.write(`fuzz: ${cases} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s (${engineText}); exit codes ${codes}; ${r.failures.length} failure(s); seed ${seed}\n`);
process.exit(r.failures.length > 0 ? 1 : 0);
