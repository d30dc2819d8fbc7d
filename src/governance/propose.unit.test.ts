/**
 * `warden directives propose` input: the inbox payload it records, and each bad input refused
 * before anything is recorded with the exit code of the README table and the thing named
 * (the option, the file:line:column, the JSON path of a float).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { proposalPayload } from './propose.js';

function refused(o: Parameters<typeof proposalPayload>[0], code: number, re: RegExp): void {
  assert.throws(() => proposalPayload(o), (e: Error & { exitCode?: number }) => {
    assert.equal(e.exitCode, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

test('a full proposal becomes the contract\'s directive.propose payload', () => {
  assert.deepEqual(
    proposalPayload({ type: 'module.run', objective: 'drill', payload: '{"module":"echo","say":"hi"}', symbols: 'BTC/USD, ETH/USD', timeboxBars: '6' }),
    { type: 'module.run', objective: 'drill', payload: { module: 'echo', say: 'hi' }, symbols: ['BTC/USD', 'ETH/USD'], timebox_bars: 6 },
  );
  assert.deepEqual(proposalPayload({ type: 'risk.tier.reset' }), { type: 'risk.tier.reset' });
});

test('bad options are usage errors (64) naming the option', () => {
  refused({ type: 'order.open' }, 64, /--type "order\.open": expected one of risk\.profile\.change, .* \(orders come from skills\)/);
  refused({ type: 'order.buy' }, 64, /--type "order\.buy": expected one of risk\.profile\.change, /);
  refused({ type: 'module.run', payload: '{}', payloadFile: 'x.json' }, 64, /--payload and --payload-file: give one of them/);
  refused({ type: 'module.run', payload: '{"qty":0.05}' }, 64, /--payload: .*\$\.qty.*write decimals as strings/);
  refused({ type: 'module.run', payload: '[1]' }, 64, /--payload: expected a JSON object, got an array/);
  refused({ type: 'module.run', payload: '{"a":' }, 64, /--payload(:1:\d+)?: not valid JSON/);
  refused({ type: 'module.run', symbols: 'btc/usd' }, 64, /--symbols: "btc\/usd" is not a symbol like BTC\/USD/);
  refused({ type: 'module.run', symbols: 'BTC/USD,BTC/USD' }, 64, /--symbols: BTC\/USD is named twice/);
  refused({ type: 'module.run', timeboxBars: '0' }, 64, /--timebox-bars "0": expected an integer 1\.\.10000/);
  refused({ type: 'module.run', objective: ' ' }, 64, /--objective is empty/);
  refused({ type: 'module.run', objective: 'x'.repeat(501) }, 64, /--objective is 501 characters \(max 500\)/);
});

test('a payload file that cannot be read or parsed is bad data (65) naming file:line:column', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-propose-'));
  try {
    const f = join(dir, 'payload.json');
    writeFileSync(f, '{\n  "symbol": "BTC/USD",\n  "qty": "0.05",\n}\n');
    refused({ type: 'module.run', payloadFile: f }, 65, new RegExp(`${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:1: not valid JSON`));
    refused({ type: 'module.run', payloadFile: join(dir, 'missing.json') }, 65, /missing\.json: cannot read it \(ENOENT\)/);
    writeFileSync(f, '{"symbol":"BTC/USD","qty":"0.05"}');
    assert.deepEqual(proposalPayload({ type: 'module.run', payloadFile: f }).payload, { symbol: 'BTC/USD', qty: '0.05' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a policy.change whose policy is malformed is refused before anything is recorded (65, naming the field)', async () => {
  const { checkProposal } = await import('./propose.js');
  const bad = proposalPayload({ type: 'policy.change', payload: '{"policy":{"version":"v2","budget":{"notional_per_day_max":"1e4"}}}' });
  await assert.rejects(checkProposal(bad, { type: 'policy.change', payload: '' }), (e: Error & { exitCode?: number }) => e.exitCode === 65 && /--payload: payload\.policy\.budget\.notional_per_day_max: a non-negative decimal/.test(e.message));
  await assert.rejects(checkProposal(proposalPayload({ type: 'policy.change', payload: '{}' }), { type: 'policy.change' }), /needs \{"policy": \{\.\.\.\}\}/);
  await checkProposal(proposalPayload({ type: 'policy.change', payload: '{"policy":{"version":"v2"}}' }), { type: 'policy.change' });
});
