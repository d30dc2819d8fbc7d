/** WARDEN_BOOKS / WARDEN_BOOK_CONFIG_DIR: the list's form, the two forms never mixed, every listed book's config named. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, runtimeRequired, RUNTIME_VARS, validateConfig, type Config } from './config/index.js';
import { loadRuntimeBooks } from './books-config.js';

const problems = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  assert.fail('expected a ConfigError');
};

test('given WARDEN_BOOKS, when validated, then it is a list of distinct book ids (1-32), else named as malformed', () => {
  assert.deepEqual(validateConfig({ WARDEN_BOOKS: 'btc, eth,btc-slow' }, []).WARDEN_BOOKS, ['btc', 'eth', 'btc-slow']);
  for (const bad of ['btc,btc', 'BTC', 'a,,b', Array.from({ length: 33 }, (_, i) => `b${i}`).join(',')]) {
    assert.match(problems(() => validateConfig({ WARDEN_BOOKS: bad }, []))[0]!, /^WARDEN_BOOKS=.* is malformed: expected a comma list of 1-32 distinct book ids/, bad);
  }
});

test('given WARDEN_BOOKS, when the runtime validates, then WARDEN_BOOK is not required; without it, it is', () => {
  assert.ok(!runtimeRequired({ WARDEN_BOOKS: 'a,b' }).includes('WARDEN_BOOK'));
  assert.deepEqual(runtimeRequired({}), RUNTIME_VARS);
  assert.deepEqual(runtimeRequired({ WARDEN_BOOKS: '' }), RUNTIME_VARS);
});

test('given mixed forms or a missing book file, when the books load, then every problem is named (exit 78)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-books-config-'));
  try {
    const cfg = (c: Partial<Config>) => loadRuntimeBooks(c);
    await assert.rejects(cfg({ WARDEN_BOOK: 'main', WARDEN_BOOKS: ['a'] }), (e: ConfigError) => e.exitCode === 78 && /WARDEN_BOOK=main and WARDEN_BOOKS=a are both set/.test(e.message));
    await assert.rejects(cfg({ WARDEN_BOOKS: ['a'], WARDEN_BOOK_CONFIG: 'x.json' }), /WARDEN_BOOK_CONFIG=x.json is for WARDEN_BOOK/);
    await assert.rejects(cfg({ WARDEN_BOOK: 'main', WARDEN_BOOK_CONFIG_DIR: dir }), /WARDEN_BOOK_CONFIG_DIR=.* is for WARDEN_BOOKS/);
    await assert.rejects(cfg({ WARDEN_BOOKS: ['a', 'b'], WARDEN_BOOK_CONFIG_DIR: dir }), (e: ConfigError) =>
      e.problems.length === 2 && e.problems.every((p, i) => p.includes(`has no ${['a', 'b'][i]}.book.json`) && p.includes(join(dir, `${['a', 'b'][i]}.book.json`))));
    const reference = JSON.parse(readFileSync('config/reference.book.json', 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'a.book.json'), JSON.stringify({ ...reference, book_id: 'other', data: { ...(reference.data as object), source: { kind: 'store' } } }));
    writeFileSync(join(dir, 'b.book.json'), '{}');
    await assert.rejects(cfg({ WARDEN_BOOKS: ['a'], WARDEN_BOOK_CONFIG_DIR: dir }), /a\.book\.json is for book other, but the book is a/);
    const minimal = await cfg({ WARDEN_BOOKS: ['a', 'b'] });
    assert.equal(minimal.multi, true);
    assert.deepEqual(minimal.specs.map((s) => [s.id, s.configPath, s.kernel.market === undefined]), [['a', null, true], ['b', null, true]]);
    const one = await cfg({ WARDEN_BOOK: 'main' });
    assert.equal(one.multi, false);
    assert.deepEqual(one.specs.map((s) => s.id), ['main']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
