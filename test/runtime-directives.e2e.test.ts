/**
 * The operator side against a RUNNING paper runtime, on both engines, through the CLI as a user
 * runs it: `warden book pause` and `warden directives list|show|approve|reject|propose` reach the
 * store while the runtime holds it (PGlite: through its operator channel; PostgreSQL: directly,
 * the runtime woken by NOTIFY). Directives are synthetic governance events in the contract's
 * shapes in a second book's stream (book:gov, no runtime), written before the runtime starts;
 * directive.propose goes to the running book:main, whose runtime answers it (applied once the
 * kernel knows the command, rejected with a reason before). A forged, stale or 0644 operator
 * file is refused (exit 75) naming why; the file is gone after a clean stop.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { processStore, ENGINES } from './support/engines.js';
import { sampleHistory } from './support/governance.js';
import { cli, runtime, runtimeVars, type LogLine, type Proc } from './runtime-proc.js';
import { openDb } from '../src/store/open.js';
import { EventStore } from '../src/store/event-store.js';

async function seedGov(url: string): Promise<void> {
  const db = await openDb(url, { command: 'test seed' });
  try {
    const store = new EventStore(db);
    const lease = await store.acquireLease('book:gov', 'test-seed', 60_000);
    await store.append(lease, 0, sampleHistory());
    await store.releaseLease(lease);
  } finally {
    await db.close();
  }
}

async function inboxOf(url: string, stream: string): Promise<{ command: string; issued_by: string; payload: unknown }[]> {
  const db = await openDb(url, { command: 'test read' });
  try {
    return await new EventStore(db).inboxRead(stream, 0, 1000);
  } finally {
    await db.close();
  }
}

for (const engine of ENGINES) {
  describe(`operator commands reach a running runtime [${engine}]`, () => {
    let store: Awaited<ReturnType<typeof processStore>>;
    let vars: Record<string, string> = {};
    let rt: Proc | undefined;
    let started: LogLine;

    before(async () => {
      store = await processStore(engine, 'warden-directives');
      vars = runtimeVars(store.url, join(store.dir, 'snapshots'));
      assert.equal((await cli(['migrate'], vars)).code, 0);
      await seedGov(store.url);
      rt = runtime(vars);
      started = await rt.waitFor('loops_started');
      await rt.waitFor('ready');
    });
    after(async () => {
      if (rt && rt.child.exitCode === null) {
        rt.child.kill('SIGTERM');
        await rt.exit;
      }
      await store.cleanup();
    });

    const processed = () => rt!.lines.filter((l) => l.event === 'inbox_command_processed');
    async function waitProcessed(n: number): Promise<LogLine> {
      const deadline = Date.now() + 20_000;
      while (processed().length < n) {
        assert.ok(Date.now() < deadline, `inbox command ${n} was not processed`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return processed()[n - 1]!;
    }

    test('the runtime wakes on NOTIFY, and on PGlite offers its operator channel in a 0600 file', () => {
      assert.equal(started.inbox_wake, 'listen');
      const ch = started.operator_channel as { port: number; file: string } | null;
      if (engine === 'postgres') return assert.equal(ch, null);
      assert.ok(ch !== null && ch.port > 0);
      assert.equal(statSync(ch.file).mode & 0o777, 0o600);
      assert.equal((JSON.parse(readFileSync(ch.file, 'utf8')) as { pid: number }).pid, rt!.child.pid);
    });

    test('warden book pause is applied by the running runtime; book status sees its lease', async () => {
      const r = await cli(['book', 'pause', '--reason', 'operator check'], vars);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /book\.pause for book:main recorded/);
      assert.equal((await waitProcessed(1)).status, 'PAUSED');
      const s = await cli(['book', 'status', '--json'], vars);
      assert.equal(s.code, 0, s.stderr);
      assert.match((JSON.parse(s.stdout) as { lease_owner: string }).lease_owner, new RegExp(`:${rt!.child.pid}$`));
    });

    test('directives list and show read the book\'s directives while the runtime runs', async () => {
      const l = await cli(['directives', 'list', '--book', 'gov', '--json'], vars);
      assert.equal(l.code, 0, l.stderr);
      const list = JSON.parse(l.stdout) as { total: number; directives: { directive_id: string; status: string }[] };
      assert.deepEqual(list.directives.map((d) => `${d.directive_id}:${d.status}`), ['D1:complete', 'D2:proposed', 'D3:blocked']);
      const p = await cli(['directives', 'list', '--book', 'gov', '--status', 'proposed'], vars);
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, /^book:gov: 1 proposed directives; no policy\.changed recorded\nID +STATUS +TYPE/);
      assert.match(p.stdout, /\nD2 +proposed +risk\.tier\.reset +skill:sma-cross@1 +2023-01-07T09:00:00Z +NEEDS_APPROVAL\n$/);
      const s = await cli(['directives', 'show', 'D1', '--book', 'gov'], vars);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /proposed -> approved {2}by operator:alice: approved \(human override\); note: checked the spread/);
      assert.match(s.stdout, /approval\.notional_above: NEEDS_APPROVAL: notional 847\.18 > 500: a human approves/);
      assert.match(s.stdout, /R1 paper\.order: completed \(pending -> running -> completed/);
    });

    test('bad input: unknown id, not proposed, bad NAME, missing --reason: clear errors, nothing recorded', async () => {
      const unknown = await cli(['directives', 'approve', 'D42', '--as', 'alice', '--book', 'gov'], vars);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /book:gov has no directive D42 \(see warden directives list\); nothing was recorded/);
      const done = await cli(['directives', 'approve', 'D1', '--as', 'alice', '--book', 'gov'], vars);
      assert.equal(done.code, 1);
      assert.match(done.stderr, /directive D1 is complete \(.*\): only a proposed directive can be approved; nothing was recorded/);
      const blocked = await cli(['directives', 'reject', 'D3', '--as', 'bob', '--reason', 'no', '--book', 'gov'], vars);
      assert.equal(blocked.code, 1);
      assert.match(blocked.stderr, /directive D3 is blocked/);
      const name = await cli(['directives', 'approve', 'D2', '--as', 'Alice Smith', '--book', 'gov'], vars);
      assert.equal(name.code, 64);
      assert.match(name.stderr, /--as "Alice Smith": expected 1-64 characters of a-z 0-9 _ \. -/);
      const noReason = await cli(['directives', 'reject', 'D2', '--as', 'bob', '--book', 'gov'], vars);
      assert.equal(noReason.code, 64);
      const badId = await cli(['directives', 'show', 'd2', '--book', 'gov'], vars);
      assert.equal(badId.code, 64);
      const float = await cli(['directives', 'propose', '--type', 'module.run', '--as', 'alice', '--payload', '{"qty":0.05}'], vars);
      assert.equal(float.code, 64);
      assert.match(float.stderr, /--payload: .*qty.*write decimals as strings/);
    });

    test('approve and reject of a book with no runtime: recorded, applied at its next start', async () => {
      const a = await cli(['directives', 'approve', 'D2', '--as', 'alice', '--note', 'spread is fine', '--book', 'gov', '--json'], vars);
      assert.equal(a.code, 0, a.stderr);
      const out = JSON.parse(a.stdout) as { inbox_id: number; answered: boolean; runtime: string | null; issued_by: string };
      assert.deepEqual([out.answered, out.runtime, out.issued_by], [false, null, 'operator:alice']);
      const r = await cli(['directives', 'reject', 'D2', '--as', 'bob', '--reason', 'too late', '--book', 'gov'], vars);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /directive\.reject D2 for book:gov, issued by operator:bob: recorded; no runtime is running the book: it is applied at its next start/);
    });

    test('directive.propose to the running book is answered by its runtime; the CLI prints the outcome', async () => {
      const n = processed().length;
      const r = await cli(['directives', 'propose', '--type', 'module.run', '--as', 'alice', '--objective', 'drill', '--payload', '{"module":"noop"}', '--json'], vars);
      const out = JSON.parse(r.stdout) as { inbox_id: number; answered: boolean; outcome: { answer: string; detail: string; proposed: string[] }; waited_ms: number };
      assert.equal(out.answered, true, r.stdout + r.stderr);
      assert.equal(r.code, out.outcome.answer === 'rejected' ? 1 : 0);
      const p = await waitProcessed(n + 1);
      assert.equal(p.inbox_id, out.inbox_id);
      if (out.outcome.answer === 'applied') assert.equal(out.outcome.proposed.length, 1);
      else assert.match(out.outcome.detail, /unknown command/);
      process.stdout.write(`# [${engine}] propose -> runtime answer seen by the CLI after ${out.waited_ms} ms (inbox poll interval 250 ms)\n`);
      const text = await cli(['directives', 'reject', 'D2', '--as', 'bob', '--reason', 'x'], vars);
      assert.equal(text.code, 1);
      assert.match(text.stderr, /book:main has no directive D2/);
    });

    if (engine === 'pglite') test('a forged, stale or world-readable operator file is refused with exit 75 naming why', async () => {
      const file = (started.operator_channel as { file: string }).file;
      const real = readFileSync(file, 'utf8');
      const info = JSON.parse(real) as Record<string, unknown>;
      try {
        writeFileSync(file, JSON.stringify({ ...info, token: '0'.repeat(64) }), { mode: 0o600 });
        const forged = await cli(['book', 'pause'], vars);
        assert.equal(forged.code, 75);
        assert.match(forged.stderr, /refused the token of .*\.operator\.json: the file is not the one it wrote \(forged or stale\)/);
        const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
        writeFileSync(file, JSON.stringify({ ...info, pid: dead }), { mode: 0o600 });
        const stale = await cli(['directives', 'list'], vars);
        assert.equal(stale.code, 75);
        assert.match(stale.stderr, new RegExp(`written by pid ${dead}, which is not running \\(stale\\)`));
        writeFileSync(file, real, { mode: 0o600 });
        chmodSync(file, 0o644);
        const open = await cli(['book', 'status'], vars);
        assert.equal(open.code, 75);
        assert.match(open.stderr, /its mode is 0644, not 0600 \(anyone who can read it can command the book\)/);
      } finally {
        writeFileSync(file, real, { mode: 0o600 });
        chmodSync(file, 0o600);
      }
      assert.equal((await cli(['book', 'status'], vars)).code, 0, 'the real file works again');
    });

    test('a clean stop removes the operator file; the commands then open the store themselves', async () => {
      rt!.child.kill('SIGTERM');
      assert.equal(await rt!.exit, 0);
      if (engine === 'pglite') assert.equal(existsSync((started.operator_channel as { file: string }).file), false);
      const l = await cli(['directives', 'list', '--book', 'gov', '--status', 'proposed', '--json'], vars);
      assert.equal(l.code, 0, l.stderr);
      assert.equal((JSON.parse(l.stdout) as { total: number }).total, 1);
      const inbox = await inboxOf(store.url, 'book:gov');
      assert.deepEqual(inbox.map((c) => `${c.command} ${c.issued_by}`), ['directive.approve operator:alice', 'directive.reject operator:bob'], 'only what passed the pre-checks');
      assert.deepEqual(inbox[0]!.payload, { directive_id: 'D2', note: 'spread is fine' });
    });
  });
}
