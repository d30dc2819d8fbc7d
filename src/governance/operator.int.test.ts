/**
 * The operator port on both engines, through both ways in: StoreOperator over the store, and the
 * operator channel (a loopback server over that StoreOperator, with its 0600 token file) as the
 * CLI uses it. Same answers both ways: the read model of a book history written in the contract's
 * shapes, the approve/reject pre-checks (nothing recorded when they fail), inbox commands and
 * their answers; the retry pre-check and a book's skills (registry states and history). And the channel's refusals: a wrong token, a 0644 file, a dead or foreign pid.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { BAR_CLOSE_MS, sampleHistory, statusChanged } from '../../test/support/governance.js';
import { EventStore } from '../store/event-store.js';
import { createLogger } from '../telemetry/logger.js';
import { startOperatorChannel, type OperatorChannel } from '../runtime/operator-channel.js';
import { ChannelClient } from '../runtime/operator-client.js';
import { readOperatorFile } from '../runtime/operator-file.js';
import { approvable, retryable, submit } from './commands.js';
import { StoreOperator, type OperatorPort } from './operator.js';

const GOV = 'book:gov';
const log = createLogger('silent', 2, { component: 'test' });

async function inboxCount(store: EventStore, stream: string): Promise<number> {
  return (await store.inboxRead(stream, 0, 1000)).length;
}

describeEngines('operator port', (ctx) => {
  let dir = '';
  let channel: OperatorChannel | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-opport-'));
  });
  after(async () => {
    await channel?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A store with the sample history in book:gov, and both ports over it. */
  async function setup(): Promise<{ store: EventStore; ports: [string, OperatorPort][] }> {
    const store = new EventStore(await ctx.freshDb());
    const lease = await store.acquireLease(GOV, 'test-writer', 60_000);
    await store.append(lease, 0, sampleHistory());
    await store.releaseLease(lease);
    await channel?.close();
    const local = new StoreOperator(store);
    channel = await startOperatorChannel({ dir: join(dir, 'store.pglite'), stream: GOV, port: local, log });
    const client = new ChannelClient(readOperatorFile(channel.file, process.pid), channel.file);
    return { store, ports: [['store', local], ['channel', client]] };
  }

  test('list and show answer the same through the store and through the channel', async () => {
    const { ports } = await setup();
    const answers = [];
    for (const [, port] of ports) {
      const l = await port.listDirectives(GOV, { limit: 200 });
      assert.equal(l.total, 3);
      assert.deepEqual(l.directives.map((d) => `${d.directive_id}:${d.status}`), ['D1:complete', 'D2:proposed', 'D3:blocked']);
      const p = await port.listDirectives(GOV, { status: 'proposed', limit: 200 });
      assert.deepEqual(p.directives.map((d) => d.directive_id), ['D2']);
      const newest = await port.listDirectives(GOV, { limit: 2 });
      assert.deepEqual([newest.total, newest.directives.map((d) => d.directive_id)], [3, ['D2', 'D3']]);
      const d1 = await port.showDirective(GOV, 'D1');
      assert.equal(d1!.history[1]!.by, 'operator:alice');
      assert.equal(d1!.history[1]!.human_override, true);
      assert.equal(await port.showDirective(GOV, 'D42'), null);
      answers.push([l, d1]);
    }
    assert.deepEqual(answers[0], answers[1]);
  });

  test('approve/reject pre-checks: unknown, complete, blocked or expired directives fail (exit 1) and record nothing', async () => {
    const { store, ports } = await setup();
    for (const [via, port] of ports) {
      await assert.rejects(approvable(port, GOV, 'D42', 'approve'), (e: Error & { exitCode: number }) => {
        assert.equal(e.exitCode, 1, via);
        assert.match(e.message, /book:gov has no directive D42 \(see warden directives list\); nothing was recorded/);
        return true;
      });
      await assert.rejects(approvable(port, GOV, 'D1', 'approve'), /directive D1 is complete \(run R1 completed by orchestrator at 2023-01-07T10:00:00Z, seq \d+\): only a proposed directive can be approved/);
      await assert.rejects(approvable(port, GOV, 'D3', 'reject'), /directive D3 is blocked \(BLOCK: scope\.symbols \(policy v3\) by policy .*only a proposed directive can be rejected/);
      await assert.rejects(approvable(port, GOV, 'x1', 'approve'), (e: Error & { exitCode: number }) => e.exitCode === 64 && /expected D followed by a number/.test(e.message));
      assert.equal((await approvable(port, GOV, 'D2', 'approve')).status, 'proposed');
    }
    assert.equal(await inboxCount(store, GOV), 0, 'nothing recorded by a failed pre-check');
    const lease = await store.acquireLease(GOV, 'test-writer', 60_000);
    await store.append(lease, (await store.head(GOV))!.seq, [statusChanged('D2', BAR_CLOSE_MS[2] + 3_600_000, 'proposed', 'blocked', 'kernel', 'timebox_expired')]);
    await store.releaseLease(lease);
    for (const [, port] of ports) {
      await assert.rejects(approvable(port, GOV, 'D2', 'approve'), /directive D2 is expired \(its timebox ran out: blocked at 2023-01-07T11:00:00Z, seq \d+\): only a proposed directive/);
    }
  });

  test('retry pre-check (only a blocked, unexpired directive) and a book\'s skills answer the same both ways', async () => {
    const { store, ports } = await setup();
    const t = BAR_CLOSE_MS[2];
    const lease = await store.acquireLease(GOV, 'test-writer', 60_000);
    await store.append(lease, (await store.head(GOV))!.seq, [
      { type: 'book.started', time_ms: t, payload: { book_id: 'gov', config_hash: 'x', config: { skills: [{ skill: 'sma-cross', version: '1', symbols: ['BTC/USD'], params: { fast: 5 } }] }, initial_cash: '10000', window_bars: { 'BTC/USD': 31 } } },
      { type: 'skill.status_changed', time_ms: t, payload: { skill: 'sma-cross@1', from: 'ACTIVE', to: 'DEPRECATED', reason: 'directive D9' } },
    ]);
    await store.releaseLease(lease);
    const answers = [];
    for (const [via, port] of ports) {
      assert.equal((await retryable(port, GOV, 'D3')).status, 'blocked', via);
      await assert.rejects(retryable(port, GOV, 'D2'), (e: Error & { exitCode: number }) => e.exitCode === 1 && /D2 is proposed .*only a blocked directive can be retried; nothing was recorded/.test(e.message));
      await assert.rejects(retryable(port, GOV, 'D42'), /has no directive D42/);
      const b = await port.bookSkills(GOV);
      assert.deepEqual(b.skills.map((x) => [x.key, x.state, x.symbols, x.history.map((h) => `${h.from}->${h.to} ${h.reason}`)]), [['sma-cross@1', 'DEPRECATED', ['BTC/USD'], ['ACTIVE->DEPRECATED directive D9']]]);
      answers.push(b);
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.equal(await inboxCount(store, GOV), 0, 'nothing recorded by a pre-check');
    const l2 = await store.acquireLease(GOV, 'test-writer', 60_000);
    await store.append(l2, (await store.head(GOV))!.seq, [statusChanged('D2', t + 3_600_000, 'proposed', 'blocked', 'policy', 'timebox_expired')]);
    await store.releaseLease(l2);
    for (const [, port] of ports) await assert.rejects(retryable(port, GOV, 'D2'), /D2 expired .*an expired directive cannot be retried, propose it anew; nothing was recorded/);
  });

  test('submit with no runtime records the command and says so; the answer, once written, is found with the step\'s proposals', async () => {
    const { store, ports } = await setup();
    for (const [via, port] of ports) {
      const s = await submit(port, GOV, 'directive.approve', { directive_id: 'D2', note: via }, 'operator:alice', 5_000);
      assert.equal(s.runtime, null, 'no live lease: no runtime');
      assert.equal(s.outcome, null);
      assert.equal(s.waited_ms, 0);
      const rows = await store.inboxRead(GOV, s.inbox_id - 1, 1);
      assert.deepEqual([rows[0]!.command, rows[0]!.issued_by, rows[0]!.payload], ['directive.approve', 'operator:alice', { directive_id: 'D2', note: via }]);
    }
    // What a runtime writes for an inbox command (a step): step.started, the proposal, the answer.
    const head = (await store.head(GOV))!.seq;
    const inboxId = (await store.inboxRead(GOV, 0, 10))[0]!.id;
    const lease = await store.acquireLease(GOV, 'test-writer', 60_000);
    const t = BAR_CLOSE_MS[2];
    await store.append(lease, head, [
      { type: 'step.started', time_ms: t, payload: { command: 'operator.command', inbox_id: inboxId, symbols: null } },
      { ...sampleHistory()[1]!, payload: { directive: { ...(sampleHistory()[1]!.payload as { directive: Record<string, never> }).directive, directive_id: 'D4' } } },
      { type: 'operator.command_applied', time_ms: t, payload: { inbox_id: inboxId, command: 'directive.propose', issued_by: 'operator:alice', reason: '', status_before: 'ACTIVE', status_after: 'ACTIVE' } },
      { type: 'step.started', time_ms: t, payload: { command: 'market.tick', inbox_id: null, symbols: ['BTC/USD'] } },
    ]);
    await store.releaseLease(lease);
    for (const [, port] of ports) {
      const none = await port.inboxOutcome(GOV, inboxId + 100, head);
      assert.equal(none.outcome, null);
      assert.equal(none.after_seq, head + 3, 'the next look starts at the last step seen');
      const r = await port.inboxOutcome(GOV, inboxId, head);
      assert.equal(r.outcome!.answer, 'applied');
      assert.deepEqual(r.outcome!.proposed, ['D4']);
      assert.equal(r.outcome!.seq, head + 3);
    }
  });

  test('the channel refuses a wrong token, a file readable by others, and a file of another or a dead pid', async () => {
    const { store } = await setup();
    const info = readOperatorFile(channel!.file, process.pid);
    const forged = new ChannelClient({ ...info, token: 'f'.repeat(64) }, channel!.file);
    await assert.rejects(forged.listDirectives(GOV, { limit: 10 }), (e: Error & { exitCode: number }) => {
      assert.equal(e.exitCode, 75);
      assert.match(e.message, /the runtime \(pid \d+\) refused the token of .*store\.pglite\.operator\.json: the file is not the one it wrote \(forged or stale\)/);
      return true;
    });
    await assert.rejects(forged.appendInbox(GOV, 'book.pause', {}, 'operator:mallory'), /refused the token/);
    assert.equal(await inboxCount(store, GOV), 0, 'a refused request writes nothing');
    const text = readFileSync(channel!.file, 'utf8');
    chmodSync(channel!.file, 0o644);
    assert.throws(() => readOperatorFile(channel!.file, process.pid), /its mode is 0644, not 0600/);
    chmodSync(channel!.file, 0o600);
    assert.throws(() => readOperatorFile(channel!.file, process.pid + 1), /written by pid \d+, not by the store's holder \(stale or forged\)/);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(channel!.file, JSON.stringify({ ...JSON.parse(text) as object, pid: Number(dead.stdout) }), { mode: 0o600 });
    assert.throws(() => readOperatorFile(channel!.file, process.pid), /written by pid \d+, which is not running \(stale\)/);
    writeFileSync(channel!.file, text, { mode: 0o600 });
  });
});

describe('operator channel lifecycle', () => {
  test('the file is 0600, names this pid and port, and is removed at close', async () => {
    const d = mkdtempSync(join(tmpdir(), 'warden-opfile-'));
    const { statSync, existsSync } = await import('node:fs');
    const ch = await startOperatorChannel({ dir: join(d, 'x.pglite'), stream: GOV, port: {} as OperatorPort, log });
    assert.equal(statSync(ch.file).mode & 0o777, 0o600);
    const info = readOperatorFile(ch.file, process.pid);
    assert.deepEqual([info.pid, info.port, info.host], [process.pid, ch.port, '127.0.0.1']);
    await ch.close();
    assert.equal(existsSync(ch.file), false);
    rmSync(d, { recursive: true, force: true });
  });
});
