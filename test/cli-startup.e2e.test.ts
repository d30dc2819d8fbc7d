/**
 * `warden --version` and `--help` load only what they use: a bare `--version` nothing but the
 * entry point (and package.json); `--help` the CLI's own registration modules and commander,
 * never the store, the kernel, the config schema (zod), the logger (pino) or the
 * ingest/replay/report code, which each command loads with `await import()` when it runs.
 *
 * Evidence, not timing: the CLI runs under `node --import` of a tiny preload that registers a
 * module hook recording every URL the ESM loader loads, and, at exit, every CommonJS file in
 * require.cache. A positive control proves the recorder sees a lazy import of both our code and a
 * package. (Timing is printed by `npm run bench:startup`, never asserted.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CLI, cleanEnv } from './support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'warden-startup-'));
const HOOKS = join(tmp, 'hooks.mjs');
const PRELOAD = join(tmp, 'preload.mjs');
writeFileSync(HOOKS, `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.WARDEN_TEST_LOAD_LOG, url + '\\n');
  return next(url, context);
}
`);
writeFileSync(PRELOAD, `import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify(pathToFileURL(HOOKS).href)});
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  for (const f of Object.keys(cache)) appendFileSync(process.env.WARDEN_TEST_LOAD_LOG, pathToFileURL(f).href + '\\n');
});
`);

const DIST = pathToFileURL(resolve('dist')).href + '/';
let runs = 0;

/** Runs node with the recorder; returns stdout and the loaded URLs (ours relative to dist/, packages as node_modules/<name>). */
function loaded(args: string[]): { code: number; stdout: string; modules: string[] } {
  const log = join(tmp, `load-${++runs}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(PRELOAD).href, ...args], {
    env: cleanEnv({ WARDEN_TEST_LOAD_LOG: log }), encoding: 'utf8', timeout: 60_000,
  });
  const modules = [...new Set(readFileSync(log, 'utf8').split('\n').filter((u) => u !== '' && !u.startsWith('node:') && u !== pathToFileURL(PRELOAD).href)
    .map((u) => {
      const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
      return pkg ? `node_modules/${pkg[1]}` : u.startsWith(DIST) ? u.slice(DIST.length) : u;
    }))].sort();
  return { code: r.status ?? -1, stdout: r.stdout, modules };
}

/** What start-up may load: the CLI's registration modules, commander, and leaf modules of constants (no imports). */
function allowed(m: string): boolean {
  return /^src\/cli\/(index|program|context)\.js$/.test(m) || /^src\/cli\/commands\/[a-z-]+\.js$/.test(m) || m === 'node_modules/commander' ||
    m === 'src/core/book/limits.js' || // BOOK_ID_RE, REASON_CHARS_MAX for `book` help: no imports
    m === 'src/exit-codes.js' || // the one exit-code table: no imports
    m === 'src/governance/limits.js' || // directive statuses, types and input limits for `directives` help: no imports
    m === 'src/core/money/decimal.js'; // a leaf value type, no imports (backtest.ts now loads it in its action)
}
// zod is loaded through src/core/zod.js (the build bundles it into that one file: scripts/bundle-zod.mjs)
const HEAVY = /^(src\/(store|runtime|ingest|replay|report|telemetry|core\/(engine|book\/(index|state|decider|kernel)|events|canonical|execution|ledger|skills|risk))\/|src\/core\/zod\.js$|node_modules\/(zod|pino|pg|@electric-sql|cli-progress|yaml|lightweight-charts))/;

const PKG_VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

for (const args of [['--version'], ['-V']]) {
  test(`warden ${args[0]} loads nothing but the entry point (not even commander)`, () => {
    const r = loaded([CLI, ...args]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${PKG_VERSION}\n`);
    assert.deepEqual(r.modules, ['src/cli/index.js']);
  });
}

test('--version among other options is commander\'s, with the same output', () => {
  const r = loaded([CLI, '--debug', '--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${PKG_VERSION}\n`);
  assert.ok(r.modules.includes('node_modules/commander'));
});

for (const args of [['--help'], ['backtest', '--help'], ['ingest', '--help'], ['replay', 'window', '--help'], ['book', 'release', '--help'], ['directives', 'propose', '--help']]) {
  test(`warden ${args.join(' ')} loads no store, kernel, config schema or logger`, () => {
    const r = loaded([CLI, ...args]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: warden /);
    assert.ok(r.modules.includes('src/cli/index.js'), `the recorder saw the CLI: ${r.modules.join(', ')}`);
    assert.deepEqual(r.modules.filter((m) => HEAVY.test(m)), [], 'heavy modules loaded at start-up');
    assert.deepEqual(r.modules.filter((m) => !allowed(m)), [], 'modules beyond the start-up allow-list (load them with await import() in the action)');
  });
}

test('positive control: the recorder sees a lazy import of our code and of a package', () => {
  const config = pathToFileURL(resolve('dist/src/runtime/config/index.js')).href;
  const r = loaded(['--input-type=module', '-e', `await import(${JSON.stringify(config)});`]);
  assert.equal(r.code, 0);
  assert.ok(r.modules.includes('src/runtime/config/index.js'), r.modules.join(', '));
  assert.ok(r.modules.includes('src/core/zod.js'), r.modules.join(', ')); // the config schema (zod, bundled)
  assert.ok(r.modules.includes('node_modules/fastest-levenshtein'), r.modules.join(', ')); // a package
  assert.ok(r.modules.some((m) => HEAVY.test(m)));
});
