/**
 * Quarantine end to end, on both engines: a book's log is tampered (one body byte, as a superuser
 * around the append-only triggers); the runtime finds it, quarantines the book in audit:quarantine
 * (the broken stream is not written) and exits 65 naming the seq; a restart is refused with the
 * quarantine message even once the tampering is undone (only an operator lifts it); `warden book
 * release` lifts it and the next start reaches ready. Four runtime starts per engine.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDb } from '../src/store/open.js';
import { processStore } from './support/engines.js';
import { cli, runtime, runtimeVars, type LogLine } from './runtime-proc.js';

const TAMPERED_SEQ = 1;

/** Runs SQL on the store as a superuser with the events triggers off (PGlite: in this process, then closed). */
async function superuser(url: string, fn: (q: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>) => Promise<void>): Promise<void> {
  const db = await openDb(url, { command: 'quarantine e2e test (tampering)' });
  try {
    await db.transaction(async (tx) => {
      await tx.exec('ALTER TABLE events DISABLE TRIGGER USER');
      await fn((sql, params) => tx.query(sql, params));
      await tx.exec('ALTER TABLE events ENABLE TRIGGER USER');
    });
  } finally {
    await db.close();
  }
}

type Status = { exists: boolean; head_seq: number; quarantined: boolean; quarantine: null | { seq: number | null; kind: string; detected_by: string; audit_seq: number } };

for (const engine of ['pglite', 'postgres'] as const) {
  describe(`quarantine of a broken book [${engine}]`, () => {
    let dir = '';
    let url = '';
    let drop: () => Promise<void> = async () => undefined;
    let vars: Record<string, string> = {};

    before(async () => {
      const store = await processStore(engine, 'warden-quarantine');
      ({ dir, url } = store);
      drop = store.cleanup;
      vars = runtimeVars(url, join(dir, 'snapshots'));
    });
    after(() => drop());

    async function status(): Promise<Status> {
      const r = await cli(['book', 'status', '--book', 'main', '--json'], vars);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Status;
    }
    const failedLine = (lines: LogLine[]) => lines.find((l) => l.event === 'startup_failed');

    test('tamper -> exit 65 and quarantined -> refused after un-tampering -> release -> ready', async () => {
      assert.equal((await cli(['migrate'], vars)).code, 0);
      const first = runtime(vars);
      await first.waitFor('ready');
      first.child.kill('SIGTERM');
      assert.equal(await first.exit, 0);
      const clean = await status();
      assert.equal(clean.quarantined, false);
      assert.ok(clean.head_seq >= 2, `the first run wrote events (head ${clean.head_seq})`);

      // Flip one body byte of seq 1 (kept to undo it later).
      let original = '';
      await superuser(url, async (q) => {
        const [row] = await q('SELECT encode(body, \'hex\') AS body FROM events WHERE stream = $1 AND seq = $2', ['book:main', TAMPERED_SEQ]);
        original = String(row!.body);
        await q('UPDATE events SET body = set_byte(body, 12, get_byte(body, 12) # 1) WHERE stream = $1 AND seq = $2', ['book:main', TAMPERED_SEQ]);
      });

      const broken = runtime(vars);
      assert.equal(await broken.exit, 65, broken.stderr());
      const failed = failedLine(broken.lines)!;
      assert.ok(['state_restored', 'loops_started'].includes(String(failed.phase)), `failed at ${String(failed.phase)}`);
      assert.match(String(failed.reason), new RegExp(`book:main seq ${TAMPERED_SEQ}`));
      assert.match(String(failed.reason), /book:main is now quarantined \(audit:quarantine seq 1\)/);
      const marked = broken.lines.find((l) => l.event === 'book_quarantined')!;
      assert.equal(marked.seq, TAMPERED_SEQ);
      assert.equal(marked.audit_seq, 1);

      const q = await status();
      assert.equal(q.quarantined, true);
      assert.equal(q.quarantine?.seq, TAMPERED_SEQ);
      assert.match(String(q.quarantine?.detected_by), /^runtime /);
      assert.equal(q.head_seq, clean.head_seq, 'nothing was written into the broken stream');

      // Undo the tampering: the book stays refused until an operator releases it.
      await superuser(url, async (qq) => {
        await qq('UPDATE events SET body = decode($3, \'hex\') WHERE stream = $1 AND seq = $2', ['book:main', TAMPERED_SEQ, original]);
      });
      const refused = runtime(vars);
      assert.equal(await refused.exit, 65);
      const why = failedLine(refused.lines)!;
      assert.equal(why.phase, 'state_restored');
      assert.match(String(why.reason), new RegExp(`book:main is quarantined \\(chain failure at seq ${TAMPERED_SEQ}\\)`));
      assert.match(String(why.reason), /detected by runtime .* at \d{4}-\d\d-\d\dT/);
      assert.match(String(why.reason), /warden replay verify --book main; when repaired or accepted: warden book release --book main --reason TEXT/);
      assert.ok(!refused.lines.some((l) => l.event === 'book_quarantined'), 'a refusal records nothing new');
      const text = await cli(['book', 'status', '--book', 'main'], vars);
      assert.match(text.stdout, /book:main: head seq \d+, chain head [0-9a-f]{64}\nbook:main is quarantined/);

      assert.equal((await cli(['book', 'release', '--book', 'main'], vars)).code, 64, '--reason is required');
      const rel = await cli(['book', 'release', '--book', 'main', '--reason', 'seq 1 restored from backup', '--json'], vars);
      assert.equal(rel.code, 0, rel.stderr);
      const out = JSON.parse(rel.stdout) as { audit_seq: number; quarantine_seq: number; released_by: string };
      assert.deepEqual([out.audit_seq, out.quarantine_seq], [2, 1]);
      assert.match(out.released_by, /^cli:/);
      const again = await cli(['book', 'release', '--book', 'main', '--reason', 'twice'], vars);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /book main \(book:main\) is not quarantined/);

      const ok = runtime(vars);
      await ok.waitFor('ready');
      ok.child.kill('SIGTERM');
      assert.equal(await ok.exit, 0);
      assert.equal((await status()).quarantined, false);
    });
  });
}

describe('a running book quarantined by replay verify beside it [postgres]', () => {
  let cleanup: (() => Promise<void>) | undefined;
  after(async () => cleanup?.());

  test('the runtime stops within seconds, writes nothing more into the book, and exits 65 saying why', async () => {
    const store = await processStore('postgres', 'warden-quarantine-live');
    cleanup = store.cleanup;
    const vars = runtimeVars(store.url, join(store.dir, 'snapshots'));
    assert.equal((await cli(['migrate'], vars)).code, 0);
    const rt = runtime(vars);
    await rt.waitFor('ready');
    const head = async () => {
      const db = await openDb(store.url, { command: 'quarantine e2e test (head)' });
      try {
        const [row] = await db.query<{ seq: unknown }>('SELECT max(seq) AS seq FROM events WHERE stream = $1', ['book:main']);
        return Number(row!.seq);
      } finally {
        await db.close();
      }
    };
    const before = await head();
    await superuser(store.url, async (q) => {
      await q('UPDATE events SET body = set_byte(body, 12, get_byte(body, 12) # 1) WHERE stream = $1 AND seq = $2', ['book:main', TAMPERED_SEQ]);
    });
    const v = await cli(['replay', 'verify', '--book', 'main'], vars);
    assert.equal(v.code, 65, v.stderr);
    assert.match(v.stderr, /book:main is quarantined \(audit:quarantine seq 1\)/);
    assert.equal(await rt.exit, 65, rt.stderr());
    const stopped = rt.lines.find((l) => l.event === 'book_quarantined')!;
    assert.match(String(stopped.reason), new RegExp(`book:main is quarantined \\(chain failure at seq ${TAMPERED_SEQ}\\).*detected by replay verify`));
    assert.ok(!rt.lines.some((l) => l.event === 'shutdown_complete'));
    assert.equal(await head(), before, 'not even runtime.stopped was written into the broken book');
  });
});
