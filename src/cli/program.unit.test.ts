/**
 * The CLI registers only the command a run names (./program.ts): which argv element names it, and
 * that such a program still parses and helps exactly like the full one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram, commandNamed } from './program.js';

const argv = (...a: string[]) => ['node', 'warden', ...a];

test('given argv, commandNamed is its first operand after the global options, skipping their values', () => {
  assert.equal(commandNamed(argv('backtest', '--config', 'b.json')), 'backtest');
  assert.equal(commandNamed(argv('--debug', 'replay', 'verify')), 'replay');
  assert.equal(commandNamed(argv('--profile', 'backtest', 'ingest', 'f.csv')), 'ingest'); // a profile file named like a command
  assert.equal(commandNamed(argv('--env-file', 'x.env', 'skills', 'list')), 'skills');
  assert.equal(commandNamed(argv('--profile=x.env', 'data', 'status')), 'data');
  assert.equal(commandNamed(argv('--help')), null);
  assert.equal(commandNamed(argv('--', 'backtest')), null);
  assert.equal(commandNamed(argv()), null);
});

test('given a named command, only it is registered; given none or an unknown one, all of them are', async () => {
  const names = async (...a: string[]) => (await buildProgram('0.0.0', argv(...a))).commands.map((c) => c.name());
  assert.deepEqual(await names('backtest', '--config', 'b.json'), ['backtest']);
  assert.deepEqual(await names('replay', 'verify'), ['replay']);
  const all = await names('--help');
  assert.ok(all.length >= 15 && all.includes('backtest') && all.includes('replay') && all.includes('serve'), all.join(', '));
  assert.deepEqual(await names('bactest'), all); // commander can then suggest "backtest"
});
