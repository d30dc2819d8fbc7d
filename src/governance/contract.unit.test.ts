/**
 * The operator side keeps its own copy of the governance vocabulary (src/governance/limits.ts: no
 * imports, so `warden directives --help` loads nothing else). This test keeps that copy equal to
 * the kernel's (src/core/governance, src/core/book): a drift would let the CLI accept what the
 * kernel then rejects, or the reverse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as local from './limits.js';
import * as core from '../core/governance/index.js';
import { OPERATOR_COMMANDS, RUN_STATUSES } from '../core/book/index.js';

test('the operator side\'s governance vocabulary equals the kernel\'s', () => {
  assert.deepEqual(local.DIRECTIVE_STATUSES, core.DIRECTIVE_STATUSES);
  assert.deepEqual(local.DIRECTIVE_TYPES, core.DIRECTIVE_TYPES);
  assert.deepEqual(local.VERDICTS, core.VERDICTS);
  assert.deepEqual(local.OPERATOR_DIRECTIVE_TYPES, core.OPERATOR_DIRECTIVE_TYPES);
  assert.deepEqual(local.RUN_STATUSES, RUN_STATUSES);
  assert.equal(local.OPERATOR_NAME_RE.source, core.OPERATOR_NAME_RE.source);
  assert.equal(local.TIMEBOX_BARS_MAX, core.TIMEBOX_BARS_MAX);
  for (const [from, to] of local.DIRECTIVE_TRANSITIONS) assert.equal(core.transition('D1', from, to), to, `${from} -> ${to}`);
  let edges = 0;
  for (const from of core.DIRECTIVE_STATUSES) edges += core.nextStatuses(from).length;
  assert.equal(edges, local.DIRECTIVE_TRANSITIONS.length, 'the same number of lifecycle edges');
});

test('the operator side\'s skill lifecycle and directive commands equal the kernel\'s', () => {
  assert.deepEqual(local.SKILL_STATES, core.SKILL_STATES);
  for (const [from, to] of local.SKILL_TRANSITIONS) assert.equal(core.skillTransition('sma-cross@1', from, to), to, `${from} -> ${to}`);
  let edges = 0;
  for (const from of core.SKILL_STATES) edges += core.skillNextStates(from).length;
  assert.equal(edges, local.SKILL_TRANSITIONS.length, 'the same number of skill lifecycle edges');
  assert.deepEqual([...local.DIRECTIVE_COMMANDS].sort(), OPERATOR_COMMANDS.filter((c) => c.startsWith('directive.')).sort());
});
