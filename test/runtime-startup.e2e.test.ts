/**
 * The paper runtime as a process, on both engines: refuses an unmigrated store (65, "Run: warden
 * migrate"), logs its phases in order to `ready`, serves /healthz and /readyz, applies an
 * operator inbox command, stops cleanly on SIGTERM (exit 0, shutdown_complete), restores the same
 * state hash on the next start, refuses a second runtime on the same book (75 naming the holder),
 * refuses a book opened on another plane (78), and a second signal exits at once without
 * breaking the chain.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStore } from './support/engines.js';
import { spawn } from 'node:child_process';
import { cli, runtime, RUNTIME_JS, runtimeVars, type LogLine } from './runtime-proc.js';

const PHASES = ['config_validated', 'persistence_connected', 'schema_verified', 'lease_acquired', 'state_restored', 'loops_started', 'ready'];
const phaseEvents = (lines: LogLine[]) => lines.filter((l) => l.phase !== undefined && l.event !== 'startup_failed').map((l) => l.event);

async function get(port: number, path: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  await res.text();
  return res.status;
}

for (const engine of ['pglite', 'postgres'] as const) {
  describe(`paper runtime process [${engine}]`, () => {
    let dir = '';
    let url = '';
    let drop: () => Promise<void> = async () => undefined;
    let vars: Record<string, string> = {};
    let shutdownHash = '';
    let shutdownSeq = 0;

    before(async () => {
      const store = await processStore(engine, 'warden-rt');
      ({ dir, url } = store);
      drop = store.cleanup;
      vars = runtimeVars(url, join(dir, 'snapshots'));
    });
    after(() => drop());

    test('an unmigrated store: exit 65, startup_failed at schema_verified telling the user to run warden migrate', async () => {
      const p = runtime(vars);
      assert.equal(await p.exit, 65);
      const failed = p.lines.find((l) => l.event === 'startup_failed');
      assert.equal(failed?.phase, 'schema_verified');
      assert.match(String(failed?.reason), /Run: warden migrate/);
      assert.equal(failed?.exit_code, 65);
      assert.deepEqual(phaseEvents(p.lines), ['config_validated', 'persistence_connected']);
    });

    test('migrated: phases in order to ready, health endpoints, inbox command, SIGTERM -> exit 0 and shutdown_complete', async () => {
      const m = await cli(['migrate'], vars);
      assert.equal(m.code, 0, m.stderr);
      const p = runtime(vars);
      const ready = await p.waitFor('ready');
      assert.deepEqual(phaseEvents(p.lines), PHASES);
      for (const l of p.lines.filter((x) => PHASES.includes(String(x.event)))) assert.equal(typeof l.duration_ms, 'number');
      const restored = p.lines.find((l) => l.event === 'state_restored')!;
      assert.equal(restored.snapshot_seq, null);
      assert.equal(restored.events_replayed, 0);
      assert.match(String(restored.state_hash), /^[0-9a-f]{64}$/);
      const port = Number(ready.http_port);
      assert.equal(await get(port, '/healthz'), 200);
      assert.equal(await get(port, '/readyz'), 200);
      assert.equal(await get(port, '/orders'), 404);
      if (engine === 'postgres') {
        // The inbox is written by another process (the CLI) while the runtime runs.
        const { openDb } = await import('../src/store/open.js');
        const { EventStore } = await import('../src/store/event-store.js');
        const db = await openDb(url, { command: 'test' });
        await new EventStore(db).inboxAppend('book:main', 'book.pause', { reason: 'e2e' }, 'test');
        await db.close();
        const processed = await p.waitFor('inbox_command_processed');
        assert.equal(processed.status, 'PAUSED');
      }
      p.child.kill('SIGTERM');
      assert.equal(await p.exit, 0);
      const done = p.lines.find((l) => l.event === 'shutdown_complete')!;
      assert.ok(done, 'shutdown_complete logged');
      assert.ok(p.lines.some((l) => l.event === 'snapshot_written'), 'a snapshot on clean shutdown');
      assert.ok(readdirSync(join(dir, 'snapshots', 'book_main')).some((f) => f.endsWith('.json')), 'snapshot file written');
      shutdownHash = String(done.state_hash);
      shutdownSeq = Number(done.seq);
      assert.match(shutdownHash, /^[0-9a-f]{64}$/);
    });

    test('start again: the same state hash in state_restored; a second runtime on the same book exits 75 naming the holder', async () => {
      const p = runtime(vars);
      const restored = await p.waitFor('state_restored');
      assert.equal(restored.state_hash, shutdownHash);
      assert.equal(restored.snapshot_seq, shutdownSeq);
      assert.equal(restored.events_replayed, 0);
      assert.equal(restored.previous_run_crashed, false);
      if (engine === 'postgres') assert.equal(restored.status, 'PAUSED');
      await p.waitFor('ready');
      assert.ok(p.lines.some((l) => l.event === 'snapshot_verified'));
      const second = runtime(vars);
      assert.equal(await second.exit, 75);
      const failed = second.lines.find((l) => l.event === 'startup_failed')!;
      if (engine === 'pglite') {
        assert.equal(failed.phase, 'persistence_connected');
        assert.match(String(failed.reason), new RegExp(`pid ${p.child.pid}`));
      } else {
        assert.equal(failed.phase, 'lease_acquired');
        assert.match(String(failed.reason), new RegExp(`leased to [^ ]+:${p.child.pid}`));
      }
      p.child.kill('SIGINT');
      assert.equal(await p.exit, 0);
      shutdownHash = String(p.lines.find((l) => l.event === 'shutdown_complete')!.state_hash);
    });

    test('a book opened on PAPER refuses to start on SHADOW: exit 78 at state_restored', async () => {
      const p = runtime({ ...vars, WARDEN_EXECUTION_PLANE: 'SHADOW' });
      assert.equal(await p.exit, 78);
      const failed = p.lines.find((l) => l.event === 'startup_failed')!;
      assert.equal(failed.phase, 'state_restored');
      assert.match(String(failed.reason), /opened on PAPER/);
    });

    test('a second signal exits at once (130/143); the next start restores a verified chain', async () => {
      const p = runtime(vars);
      await p.waitFor('ready');
      // Two different signals (the kernel may merge two identical pending ones into one).
      p.child.kill('SIGTERM');
      p.child.kill('SIGINT');
      const code = await p.exit;
      const forced = p.lines.find((l) => l.event === 'shutdown_forced');
      const log = `(exit ${code}); log:\n${p.lines.map((l) => JSON.stringify(l)).join('\n')}\n${p.stderr()}`;
      if (engine === 'pglite' && !forced) {
        // PGlite runs its queries synchronously in this process: the sub-second shutdown does not
        // yield to the signal handler, so the second signal is only seen after it completed.
        assert.equal(code, 0, log);
        assert.ok(p.lines.some((l) => l.event === 'shutdown_complete'), log);
      } else {
        assert.ok(forced, `shutdown_forced logged ${log}`);
        assert.notEqual(forced.signal, forced.first_signal);
        assert.equal(code, forced.signal === 'SIGINT' ? 130 : 143);
        assert.ok(!p.lines.some((l) => l.event === 'shutdown_complete'));
      }
      // A forced exit may leave the lease live until its ttl (3 s here) on PostgreSQL.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const q = runtime(vars);
        const outcome = await q.waitFor('ready').then(() => 'ready', async () => `exit ${await q.exit}`);
        if (outcome === 'ready') {
          const restored = q.lines.find((l) => l.event === 'state_restored')!;
          assert.match(String(restored.state_hash), /^[0-9a-f]{64}$/);
          q.child.kill('SIGTERM');
          assert.equal(await q.exit, 0);
          break;
        }
        assert.equal(outcome, 'exit 75', 'only a still-live lease may refuse the restart');
        assert.ok(Date.now() < deadline, 'the lease of a dead runtime must expire');
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
  });
}

describe('paper runtime process: failures before the store', () => {
  test('PostgreSQL unreachable: exit 69 at persistence_connected within a bounded time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-rt-'));
    const t0 = Date.now();
    const p = runtime(runtimeVars('postgres://postgres@127.0.0.1:1/warden', join(dir, 'snapshots')));
    assert.equal(await p.exit, 69);
    assert.ok(Date.now() - t0 < 30_000, 'bounded by the 5 s connect timeout, not an endless retry');
    const failed = p.lines.find((l) => l.event === 'startup_failed')!;
    assert.equal(failed.phase, 'persistence_connected');
    assert.match(String(failed.reason), /cannot connect to PostgreSQL/);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a missing variable: exit 78 at config_validated naming it; no stack trace at info level', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-rt-'));
    const vars = runtimeVars('pglite:memory:', join(dir, 'snapshots'));
    delete (vars as Record<string, string | undefined>).WARDEN_BOOK;
    const p = runtime({ ...vars, WARDEN_SNAPSHOT_EVRY_EVENTS: '5' });
    assert.equal(await p.exit, 78);
    const failed = p.lines.find((l) => l.event === 'startup_failed')!;
    assert.equal(failed.phase, 'config_validated');
    assert.match(String(failed.reason), /WARDEN_BOOK is required/);
    assert.match(String(failed.reason), /did you mean WARDEN_SNAPSHOT_EVERY_EVENTS/);
    assert.equal(failed.stack, undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('WARDEN_LOG_LEVEL=debug adds the stack to startup_failed; config_validated is logged at the configured level', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-rt-'));
    const p = runtime(runtimeVars('postgres://postgres@127.0.0.1:1/warden', join(dir, 'snapshots'), { WARDEN_LOG_LEVEL: 'debug' }));
    assert.equal(await p.exit, 69);
    assert.match(String(p.lines.find((l) => l.event === 'startup_failed')!.stack), /StoreUnavailableError/);
    const q = runtime(runtimeVars('postgres://postgres@127.0.0.1:1/warden', join(dir, 'snapshots'), { WARDEN_LOG_LEVEL: 'error' }));
    assert.equal(await q.exit, 69);
    assert.deepEqual(q.lines.map((l) => l.event), ['startup_failed']);
    rmSync(dir, { recursive: true, force: true });
  });

  test('an unknown argument: exit 64 with the usage', async () => {
    const q = spawn(process.execPath, [RUNTIME_JS, '--live'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    q.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((r) => q.on('exit', r));
    assert.equal(code, 64);
    assert.match(err, /unknown argument "--live"/);
  });
});
