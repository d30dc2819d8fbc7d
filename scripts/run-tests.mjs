#!/usr/bin/env node
// Runs the compiled test files with node's test runner. Tiers are named by suffix:
// *.unit.test.js (pure, fast), *.int.test.js (store on both engines, processes), *.e2e.test.js
// (whole CLI/runtime). `node scripts/run-tests.mjs unit` runs one tier; default: all.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const tier = process.argv[2];
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (!tier || name.endsWith(`.${tier}.test.js`))) files.push(p);
  }
})('dist');
files.sort();
if (files.length === 0) {
  console.error(`run-tests: no test files${tier ? ` for tier ${tier}` : ''} under dist/ (did the build run?)`);
  process.exit(1);
}
// A test file is one test of the runner with this budget: the crash suite's engines take ~2-4 min
// each on a quiet 2-core machine and up to ~8 min on a loaded one; every test inside has its own.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=900000', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
