#!/usr/bin/env node
// Runs the compiled test files with node's test runner. Tiers are named by suffix:
// *.unit.test.js (pure, fast), *.int.test.js (store on both engines, processes), *.e2e.test.js
// (whole CLI/runtime). `node scripts/run-tests.mjs unit` runs one tier; default: all.
// `--test-reporter=R` / `--test-reporter-destination=D` pairs are taken as node --test takes them.
//
// Why run() and not `node --test FILES`: node 20's CLI sorts the files by name, so the crash suite
// and the runtime end-to-end files (minutes each, mostly under test/) would start last and leave
// one of the two slots running alone at the end. Here the longest files start first (SLOW_FIRST),
// then the rest in name order, two at a time, exactly as `node --test --test-concurrency=2` runs them.
import { existsSync, readdirSync, statSync, createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run } from 'node:test';
import * as builtin from 'node:test/reporters';

// A test file is one test of the runner with this budget: a crash suite half takes ~2-4 min on a
// quiet 2-core machine and up to ~8 min on a loaded one; every test inside has its own.
const FILE_BUDGET_MS = 900_000;
const TIMEOUT_FLAG = `--test-timeout=${FILE_BUDGET_MS}`;

// The longest files, longest first (a clean-clone CI run on a 2-core machine, two at a time: the
// PGlite crash half 183-198 s, the fuzz suite's short form 110-117 s (four CLI workers), the
// month-long restart 85 s (both engines in one file), the ingest CLI 75 s (nine CLI runs on each
// engine), the approvals crash suite 68 s, the PostgreSQL crash half 59 s, the runtime approval
// ~50-60 s per engine). The fuzz suite and the ingest CLI were not named here: started in name
// order, after ~85 other files, a long file late is what leaves one slot alone at the end (longest
// first is the usual cure; not measured on a whole run). The rest fill both slots in name order. A
// name here that matches no file is reported, not fatal.
const SLOW_FIRST = [
  'test/crash-suite-pglite.e2e.test.js',
  'test/fuzz/fuzz.e2e.test.js',
  'test/live-replay-restart.e2e.test.js',
  'test/ingest-cli.e2e.test.js',
  'test/crash-approvals.e2e.test.js',
  'test/crash-suite-postgres.e2e.test.js',
  'test/runtime-approval-pglite.e2e.test.js',
  'test/runtime-approval-postgres.e2e.test.js',
];

// The test processes' own embedded stores (the *.int tests' PGlite, the checks that e2e tests run
// in-process) on V8's baseline WebAssembly compiler only, as the product's brief commands run
// (src/cli/context.ts briefWasm): a test process opens PGlite, runs a few hundred small queries
// and exits, and the optimizing tier's background recompiles cost more CPU than they save.
// Measured on the 2-core machine, the int tier (30 files, two at a time): 114.7 s wall / 146.7 s
// CPU -> 78.6 s / 99.7 s, every test passing. It changes which machine code runs, never what it
// computes. Only the test processes take it: the warden processes that tests spawn (the runtime,
// the CLI) are started with no node flags and keep the product's own choice.
const BASELINE_FLAG = '--liftoff-only';

const args = process.argv.slice(2);
// The per-test default budget and the baseline compiler are node flags that the runner passes on
// to every test process: start this script again with them when they are missing.
if (!process.execArgv.includes(TIMEOUT_FLAG) || !process.execArgv.includes(BASELINE_FLAG)) {
  const r = spawnSync(process.execPath, [TIMEOUT_FLAG, BASELINE_FLAG, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const tier = args.find((a) => !a.startsWith('--'));
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (!tier || name.endsWith(`.${tier}.test.js`))) files.push(p);
  }
})('dist');
files.sort();
// tsc never deletes an output whose source is gone: a test renamed or split since the last build
// would still run from dist/. Only files with a source run; the rest are named.
for (let i = files.length - 1; i >= 0; i--) {
  const source = files[i].slice('dist/'.length).replace(/\.js$/, '.ts');
  if (existsSync(source)) continue;
  console.error(`run-tests: ${files[i]} has no source ${source} (stale build output): not run`);
  files.splice(i, 1);
}
if (files.length === 0) {
  console.error(`run-tests: no test files${tier ? ` for tier ${tier}` : ''} under dist/ (did the build run?)`);
  process.exit(1);
}
const first = SLOW_FIRST.map((f) => join('dist', f));
for (const f of first) if (!files.includes(f) && (!tier || f.endsWith(`.${tier}.test.js`))) console.error(`run-tests: SLOW_FIRST names ${f}, which is not built (renamed?)`);
const ordered = [...first.filter((f) => files.includes(f)), ...files.filter((f) => !first.includes(f))];

// Reporters as node --test takes them; by default spec on a terminal, tap otherwise (node's default).
const valuesOf = (flag) => args.filter((a) => a.startsWith(`${flag}=`)).map((a) => a.slice(flag.length + 1));
const names = valuesOf('--test-reporter');
const dests = valuesOf('--test-reporter-destination');
if (names.length === 0) names.push(process.stdout.isTTY ? 'spec' : 'tap');
const stream = run({ files: ordered.map((f) => resolve(f)), concurrency: 2, timeout: FILE_BUDGET_MS });
stream.on('test:fail', (data) => {
  if (!data.todo) process.exitCode = 1;
});
for (const [i, name] of names.entries()) {
  let reporter = Object.hasOwn(builtin, name) ? builtin[name] : (await import(pathToFileURL(resolve(name)).href)).default;
  if (reporter.prototype && Object.getOwnPropertyDescriptor(reporter.prototype, 'constructor')) reporter = new reporter(); // spec is a class
  const dest = dests[i] ?? 'stdout';
  stream.compose(reporter).pipe(dest === 'stdout' ? process.stdout : dest === 'stderr' ? process.stderr : createWriteStream(dest));
}
