/**
 * `warden book pause|resume` against a running paper runtime: the CLI records the command in the
 * inbox, the runtime applies it as one step and logs the new status. Bad input is refused (64)
 * before the store is touched. With the embedded store held by the runtime the CLI goes through
 * its operator channel; a holder without one is named with exit 75.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePostgres, TEST_PG_URL, uniqueName } from './support/engines.js';
import { seedPgliteDir } from './support/pglite-template.js';
import { cli, runtime, runtimeVars, tempPgDatabase, type Proc } from './runtime-proc.js';

describe('warden book pause|resume with a running runtime [postgres]', () => {
  let dir = '';
  let db: { url: string; drop: () => Promise<void> } | undefined;
  let vars: Record<string, string> = {};
  let rt: Proc | undefined;

  before(async () => {
    await requirePostgres();
    dir = mkdtempSync(join(tmpdir(), 'warden-book-'));
    const admin = new URL(TEST_PG_URL);
    admin.pathname = '/postgres';
    db = await tempPgDatabase(admin.toString(), uniqueName('warden_rt_book'));
    vars = runtimeVars(db.url, join(dir, 'snapshots'));
    assert.equal((await cli(['migrate'], vars)).code, 0);
    rt = runtime(vars);
    await rt.waitFor('ready');
  });
  after(async () => {
    if (rt) {
      rt.child.kill('SIGTERM');
      await rt.exit;
    }
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const processed = (n: number) => rt!.lines.filter((l) => l.event === 'inbox_command_processed').slice(n - 1, n)[0];
  async function waitProcessed(n: number) {
    const deadline = Date.now() + 20_000;
    while (!processed(n)) {
      assert.ok(Date.now() < deadline, `inbox command ${n} was not processed`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return processed(n)!;
  }

  test('pause (book from WARDEN_BOOK) is applied: status PAUSED', async () => {
    const r = await cli(['book', 'pause', '--reason', 'maintenance window'], vars);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /book\.pause for book:main recorded/);
    const p = await waitProcessed(1);
    assert.equal(p.command, 'book.pause');
    assert.equal(p.status, 'PAUSED');
  });

  test('a second pause is rejected with a reason; resume --book main --json is applied', async () => {
    assert.equal((await cli(['book', 'pause'], vars)).code, 0);
    const rejected = await waitProcessed(2);
    assert.equal(rejected.status, 'PAUSED');
    assert.ok(rt!.lines.some((l) => l.event === 'step_committed' && (l.types as string[]).includes('operator.command_rejected')));
    const r = await cli(['book', 'resume', '--book', 'main', '--json'], vars);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { inbox_id: number; stream: string; command: string };
    assert.equal(out.stream, 'book:main');
    assert.equal(out.command, 'book.resume');
    const p = await waitProcessed(3);
    assert.equal(p.inbox_id, out.inbox_id);
    assert.equal(p.status, 'ACTIVE');
  });

  test('bad input is refused with exit 64 naming it', async () => {
    const bad = await cli(['book', 'pause', '--book', 'Main Book'], vars);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--book "Main Book": expected/);
    const long = await cli(['book', 'pause', '--reason', 'x'.repeat(501)], vars);
    assert.equal(long.code, 64);
    assert.match(long.stderr, /--reason is 501 characters \(max 500\)/);
    const { WARDEN_BOOK: _, ...noBook } = vars;
    const none = await cli(['book', 'resume'], noBook);
    assert.equal(none.code, 64);
    assert.match(none.stderr, /pass --book <id> or set WARDEN_BOOK/);
  });

  test('replay verify, while the runtime runs, re-executes every step it wrote from the inbox rows', async () => {
    const r = await cli(['replay', 'verify', '--book', 'main', '--json'], vars);
    assert.equal(r.code, 0, r.stderr);
    const s = (JSON.parse(r.stdout) as { streams: { kernel: string; reexecuted: { steps: number; steps_checked: number } }[] }).streams[0]!;
    assert.equal(s.kernel, 'book');
    const commands = rt!.lines.filter((l) => l.event === 'inbox_command_processed').length;
    assert.ok(commands >= 3, `${commands} inbox commands processed`);
    assert.equal(s.reexecuted.steps, commands + 1, 'the start (book.opened + runtime.started) and one step per inbox command');
    assert.equal(s.reexecuted.steps_checked, s.reexecuted.steps);
  });
});

describe('warden book pause with the embedded store held by the runtime [pglite]', () => {
  test('through the operator channel it is applied; a holder without an operator file is named with exit 75', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-book-'));
    await seedPgliteDir(join(dir, 'store.pglite')); // a new store without initdb's cost (./support/pglite-template.ts)
    const vars = runtimeVars(`pglite:${join(dir, 'store.pglite')}`, join(dir, 'snapshots'));
    assert.equal((await cli(['migrate'], vars)).code, 0);
    const rt = runtime(vars);
    await rt.waitFor('ready');
    const r = await cli(['book', 'pause'], vars);
    assert.equal(r.code, 0, r.stderr);
    const file = `${join(dir, 'store.pglite')}.operator.json`;
    renameSync(file, `${file}.away`); // as if the holder were a process without a channel (an older runtime, another command)
    const held = await cli(['book', 'resume'], vars);
    renameSync(`${file}.away`, file);
    assert.equal(held.code, 75);
    assert.match(held.stderr, new RegExp(`pid ${rt.child.pid} \\(warden runtime book:main`));
    rt.child.kill('SIGTERM');
    assert.equal(await rt.exit, 0);
    assert.ok(rt.lines.some((l) => l.event === 'inbox_command_processed' && l.status === 'PAUSED'), 'the pause was applied');
    rmSync(dir, { recursive: true, force: true });
  });
});
