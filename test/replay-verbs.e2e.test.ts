/**
 * The replay verbs through the CLI a user types, on both engines, over a trading book written the
 * runtime's way (real Q1-2023 BTC/USD hourly candles in the store, operator commands through the
 * inbox, a stop and a restart):
 *   verify    exit 0, every step re-executed, the in-process state hash;
 *   hour      the hour's tick with its stored candle as input, exactly the step's seqs as output;
 *   window    one entry per hour of the window, every step re-executed;
 *   manifest  one entry per evaluation hour, chain heads and events hashes that match the log
 *             read independently, identical to itself by --compare;
 * then a stored candle is altered (as a superuser): verify exits 65 naming the bar.closed seq and
 * payload.close and quarantines the book (book status shows it, the runtime would refuse it), and
 * manifest --compare names that hour with only its inputs hash changed; release lifts it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { toHex } from '../src/core/canonical/hash.js';
import { bookKernel, resolveBook } from '../src/core/book/index.js';
import { ingestFile } from '../src/ingest/ingest.js';
import type { Db } from '../src/store/db.js';
import { EventStore } from '../src/store/event-store.js';
import { migrate } from '../src/store/migrations.js';
import { openDb } from '../src/store/open.js';
import { BTC_2023Q1_HOURLY, loadKrakenCsv } from './support/candles-csv.js';
import { cleanEnv, runCliAsync } from './support/cli.js';
import { processStore } from './support/engines.js';
import { runtimeStart, smaBookConfig, tickCommands, writeBook, type Script } from './support/book-driver.js';

const CONFIG = smaBookConfig('rv');
const book = resolveBook(CONFIG);
const kernel = bookKernel(book);
const ticks = tickCommands(book, loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600).slice(0, 300));
const start = (time_ms: number, epoch: number) => runtimeStart('rv', time_ms, epoch);
const SCRIPT: Script[] = [
  start(Date.UTC(2026, 0, 1), 1),
  ...ticks.slice(0, 120),
  { kind: 'inbox', command: 'book.pause', payload: { reason: 'verbs test' } },
  ...ticks.slice(120, 130),
  { kind: 'inbox', command: 'book.resume', payload: { reason: 'verbs test' } },
  { kind: 'runtime.stop', time_ms: Date.UTC(2026, 0, 2), reason: 'SIGTERM' },
  start(Date.UTC(2026, 0, 3), 2),
  ...ticks.slice(130),
];
const iso = (ms: number) => new Date(ms).toISOString();

for (const engine of ['pglite', 'postgres'] as const) {
  describe(`replay verbs [${engine}]`, () => {
    let cleanup: (() => Promise<void>) | undefined;
    after(async () => cleanup?.());

    const open = async (url: string) => openDb(url, { command: 'replay verbs test' });

    test('verify, hour, window, manifest; an altered candle is a divergence that quarantines the book', async () => {
      const store = await processStore(engine, 'warden-replay-verbs');
      const { dir, url } = store;
      cleanup = store.cleanup;
      const cfg = join(dir, 'book.json');
      writeFileSync(cfg, JSON.stringify(CONFIG));
      const env = cleanEnv({ WARDEN_DATABASE_URL: url, WARDEN_LOG_LEVEL: 'warn', WARDEN_BOOK_CONFIG: cfg });
      const cli = (...args: string[]) => runCliAsync(args, env);

      let db: Db = await open(url);
      let written;
      let hashes: string[];
      try {
        await migrate(db);
        assert.equal((await ingestFile(db, BTC_2023Q1_HOURLY)).status, 'accepted');
        written = await writeBook(new EventStore(db), 'book:rv', kernel, SCRIPT, 150);
        hashes = [];
        for await (const batch of new EventStore(db).read('book:rv', { batchSize: 1000 })) for (const e of batch) hashes.push(toHex(e.hash));
      } finally {
        await db.close();
      }
      const seqOf = (type: string, time_ms: number) => written.events.findIndex((e) => e.type === type && e.time_ms === time_ms) + 1;

      // verify: both replays.
      const v = await cli('replay', 'verify', '--json');
      assert.equal(v.code, 0, v.stderr);
      const vs = (JSON.parse(v.stdout) as { streams: { stream: string; state_hash: string; reexecuted: { steps_checked: number } }[] }).streams.find((s) => s.stream === 'book:rv')!;
      assert.equal(vs.state_hash, kernel.stateHash(written.state));
      assert.equal(vs.reexecuted.steps_checked, SCRIPT.length);
      const fast = await cli('replay', 'verify', '--book', 'rv', '--from-snapshot', '--json');
      assert.equal(fast.code, 0, fast.stderr);
      const fs0 = (JSON.parse(fast.stdout) as { streams: { from_seq: number; events: number; state_hash: string; reexecuted: { steps_checked: number } }[] }).streams[0]!;
      assert.ok(fs0.from_seq > 0, 'started at a snapshot');
      assert.equal(fs0.events, written.seq - fs0.from_seq, 'checked only what follows it');
      assert.equal(fs0.state_hash, vs.state_hash);
      assert.ok(fs0.reexecuted.steps_checked < SCRIPT.length);

      // hour: tick 200's input candle and exactly its step's events.
      const t200 = ticks[200]!;
      const h = await cli('replay', 'hour', iso(t200.time_ms));
      assert.equal(h.code, 0, h.stderr);
      assert.match(h.stdout, new RegExp(`market\\.tick at ${iso(t200.time_ms).replace(/\./g, '\\.')}: BTC/USD o ${t200.candles[0]!.open.toString()} .* c ${t200.candles[0]!.close.toString()} `));
      const first = seqOf('step.started', t200.time_ms); // a step begins with step.started
      const next = seqOf('step.started', ticks[201]!.time_ms);
      const shown = [...h.stdout.matchAll(/^ {2}seq (\d+) /gm)].map((m) => Number(m[1]));
      assert.deepEqual(shown, Array.from({ length: next - first }, (_, i) => first + i));
      assert.match(h.stdout, /re-executed identically/);
      const offHour = await cli('replay', 'hour', '2023-01-05T10:30:00Z');
      assert.equal(offHour.code, 64);
      assert.match(offHour.stderr, /expected the start of an hour, e\.g\. 2023-01-05T10:00:00\.000Z/);

      // window: ten hours, each re-executed.
      const w = await cli('replay', 'window', '--from', iso(ticks[100]!.time_ms), '--to', iso(ticks[110]!.time_ms), '--json');
      assert.equal(w.code, 0, w.stderr);
      const wr = JSON.parse(w.stdout) as { hours: { hour: string; seq_from: number }[]; steps_checked: number; steps: number; started_at_seq: number };
      assert.ok(wr.started_at_seq > 0 && wr.started_at_seq < wr.hours[0]!.seq_from, `folded from snapshot seq ${wr.started_at_seq}, before the window`);
      assert.ok(wr.hours[0]!.seq_from - wr.started_at_seq <= 150 + 20, 'from the newest snapshot before the window (one every 150 events)');
      assert.deepEqual(wr.hours.map((x) => x.hour), ticks.slice(100, 110).map((t) => iso(t.time_ms)));
      assert.equal(wr.steps_checked, wr.steps);

      // manifest: one entry per evaluation hour, matching the log read independently.
      const m1 = join(dir, 'm1.json');
      const m = await cli('replay', 'manifest', '--out', m1, '--json');
      assert.equal(m.code, 0, m.stderr);
      const { readFileSync } = await import('node:fs');
      const manifest = JSON.parse(readFileSync(m1, 'utf8')) as { hours: { hour: string | null; seq_from: number; seq_to: number; chain_head: string; events_hash: string }[]; summary: { root: string } };
      assert.equal(manifest.hours.length, ticks.length + 1, 'before the first tick + one per hourly tick');
      assert.equal(manifest.hours[0]!.hour, null);
      for (const e of manifest.hours) {
        assert.equal(e.chain_head, hashes[e.seq_to - 1]);
        const eh = createHash('sha256');
        for (let s = e.seq_from; s <= e.seq_to; s++) eh.update(Buffer.from(hashes[s - 1]!, 'hex'));
        assert.equal(e.events_hash, eh.digest('hex'));
      }
      assert.equal((JSON.parse(m.stdout) as { root: string }).root, manifest.summary.root);
      const same = await cli('replay', 'manifest', '--compare', m1);
      assert.equal(same.code, 0, same.stderr);
      assert.match(same.stdout, /identical to .*m1\.json, hour by hour/);

      // An altered input: tick 250's stored candle close, changed as a superuser.
      const t250 = ticks[250]!;
      db = await open(url);
      try {
        await db.transaction(async (tx) => {
          await tx.exec('ALTER TABLE candles DISABLE TRIGGER USER');
          await tx.query('UPDATE candles SET close = high WHERE symbol = $1 AND interval_s = 3600 AND open_time_ms = $2', ['BTC/USD', t250.candles[0]!.open_time_ms]);
          await tx.exec('ALTER TABLE candles ENABLE TRIGGER USER');
        });
      } finally {
        await db.close();
      }
      const bad = await cli('replay', 'verify', '--book', 'rv');
      assert.equal(bad.code, 65, bad.stderr);
      const barSeq = seqOf('bar.closed', t250.time_ms);
      assert.match(bad.stderr, new RegExp(`book:rv seq ${barSeq} \\(bar\\.closed\\) differs at payload\\.close: stored "${t250.candles[0]!.close.toString()}", recomputed "${t250.candles[0]!.high.toString()}"`));
      assert.match(bad.stderr, /book:rv is quarantined \(audit:quarantine seq \d+\)/);
      const st = await cli('book', 'status', '--book', 'rv', '--json');
      assert.equal(st.code, 0, st.stderr);
      assert.match(st.stdout, new RegExp(`"seq": ${barSeq}`));
      assert.match(st.stdout, /"detected_by": "replay verify"/);

      const diff = await cli('replay', 'manifest', '--compare', m1);
      assert.equal(diff.code, 65, diff.stderr);
      const hourIndex = 1 + 250; // "before the first tick", then one entry per tick
      assert.match(diff.stderr, new RegExp(`differs from .*m1\\.json at hour #${hourIndex} \\(${iso(t250.time_ms).replace(/\./g, '\\.')}\\): inputs_hash \\(`));

      const rel = await cli('book', 'release', '--book', 'rv', '--reason', 'test: the candle was restored from the exchange');
      assert.equal(rel.code, 0, rel.stderr);
    });
  });
}
