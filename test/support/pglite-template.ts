/**
 * Test helper (not a test): a new PGlite cluster without running initdb again. PGlite's initdb is
 * most of what a new store costs (a few seconds on a quiet 2-core machine, 20-40 s on a loaded
 * one), and the suite makes dozens of them: a store directory per PGlite scenario of the
 * process-level tests. The first test process to need one makes a pristine cluster the ordinary
 * way (PGlite.create, closed cleanly) and caches it under the OS temp dir, keyed by the PGlite version (the only thing its bytes
 * depend on); every later store starts from a copy of it: the same bytes initdb writes, still
 * migrated by the code under test (`warden init`, migrate()). Tests of store creation itself
 * (`warden init`/`migrate` on a new path, the quick start) keep letting the product create it.
 * describeEngines (./engines.ts) opens its PGlite on such a copy too (an in-memory instance loaded
 * from a PGlite dump, loadDataDir, started faster but made a timing-bound feed test fail).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The installed PGlite's version (its package.json above the resolved entry point). */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

const CACHE = join(tmpdir(), `warden-test-pglite-${pgliteVersion()}`);

/**
 * Makes `final` once with `make(tmp)` writing into a path of its own, then renamed into place:
 * two test processes racing both make one, the first rename wins, nobody sees a partial one.
 */
async function cached(final: string, make: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(final)) return final;
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, 'making-'));
  try {
    const tmp = join(work, 'out');
    await make(tmp);
    try {
      renameSync(tmp, final);
    } catch (e) {
      if (!existsSync(final)) throw e; // another process won the race: use its copy
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return final;
}

/** A pristine PGlite data directory (initdb'd by PGlite itself, closed cleanly). */
function templateDir(): Promise<string> {
  return cached(join(CACHE, 'datadir'), async (tmp) => {
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = await PGlite.create(tmp);
    await pg.close();
  });
}

/**
 * Makes `dir` (which must not exist) a new, empty PGlite store directory, as the product would
 * create it on first open; it is migrated by whatever opens it first (`warden init`, migrate()).
 */
export async function seedPgliteDir(dir: string): Promise<void> {
  if (existsSync(dir)) throw new Error(`seedPgliteDir: ${dir} exists already`);
  cpSync(await templateDir(), dir, { recursive: true });
}
