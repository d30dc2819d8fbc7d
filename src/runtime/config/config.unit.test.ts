/** Strict configuration: missing, unknown (with suggestion) and malformed variables; env files. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, STORE_VARS, validateConfig } from './index.js';
import { parseEnvFile } from './env-file.js';

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.exitCode, 78);
    return [...e.problems];
  }
  assert.fail('expected a ConfigError');
};

const ok = { WARDEN_DATABASE_URL: 'pglite:./var/x', WARDEN_LOG_LEVEL: 'info' };

test('valid store config parses; unrelated variables are ignored', () => {
  const c = validateConfig({ ...ok, HOME: '/root', PGHOST: 'x' }, STORE_VARS);
  assert.equal(c.WARDEN_DATABASE_URL, 'pglite:./var/x');
  assert.equal(c.WARDEN_LOG_LEVEL, 'info');
  assert.doesNotThrow(() => validateConfig({ ...ok, WARDEN_DATABASE_URL: 'postgres://warden@db:5432/warden' }, STORE_VARS));
});

test('a typo of a known variable is refused and the nearest name suggested', () => {
  const p = problems(() => validateConfig({ WARDEN_DATABSE_URL: 'pglite:x', WARDEN_DATABASE_URL: 'pglite:x', WARDEN_LOG_LEVEL: 'info' }, STORE_VARS));
  assert.equal(p.length, 1);
  assert.match(p[0]!, /^WARDEN_DATABSE_URL is not a Warden variable \(did you mean WARDEN_DATABASE_URL\?\)/);
});

test('an unknown variable far from every known name gets no misleading suggestion', () => {
  const p = problems(() => validateConfig({ ...ok, WARDEN_ZZZ_UNRELATED_THING: '1' }, STORE_VARS));
  assert.match(p[0]!, /WARDEN_ZZZ_UNRELATED_THING is not a Warden variable; known:/);
});

test('every missing required variable is named with its meaning, all at once', () => {
  const p = problems(() => validateConfig({}, STORE_VARS));
  assert.equal(p.length, 2);
  assert.match(p[0]!, /^WARDEN_DATABASE_URL is required: where the store lives/);
  assert.match(p[1]!, /^WARDEN_LOG_LEVEL is required/);
});

test('malformed values name the variable and the expected form', () => {
  const p = problems(() => validateConfig({ WARDEN_DATABASE_URL: 'mysql://x', WARDEN_LOG_LEVEL: 'loud' }, STORE_VARS));
  assert.match(p[0]!, /^WARDEN_DATABASE_URL="mysql:\/\/x" is malformed: expected pglite:<directory>/);
  assert.match(p[1]!, /^WARDEN_LOG_LEVEL="loud" is malformed: expected one of fatal, error/);
});

test('env files: comments, quotes, export; malformed lines named by file:line', () => {
  assert.deepEqual(parseEnvFile('# c\n\nexport A=1\nB="two words"\nC=x # trailing\n', 'p.env'), { A: '1', B: 'two words', C: 'x' });
  assert.throws(() => parseEnvFile('A=1\nthis is not an assignment\n', 'p.env'), /p\.env:2: expected KEY=VALUE/);
  assert.throws(() => parseEnvFile('A=1\nA=2\n', 'p.env'), /p\.env:2: A is set twice/);
  assert.throws(() => parseEnvFile('A="open\n', 'p.env'), /p\.env:1: A: unterminated double quote/);
});

test('the process environment overrides the env file; unknown names in the file are refused too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-cfg-'));
  const file = join(dir, 'x.env');
  writeFileSync(file, 'WARDEN_DATABASE_URL=pglite:./from-file\nWARDEN_LOG_LEVEL=info\n');
  assert.equal(loadConfig(file, { WARDEN_DATABASE_URL: 'pglite:./from-env' }, STORE_VARS).WARDEN_DATABASE_URL, 'pglite:./from-env');
  writeFileSync(file, 'WARDEN_LOGLEVEL=info\n');
  assert.match(problems(() => loadConfig(file, ok, STORE_VARS))[0]!, /did you mean WARDEN_LOG_LEVEL/);
  assert.match(problems(() => loadConfig(join(dir, 'missing.env'), ok, STORE_VARS))[0]!, /profile ".*missing\.env": cannot read it \(ENOENT\)/);
});

test('env files: keys named like Object.prototype members are keys like any other (not "set twice", not dropped)', () => {
  const env = parseEnvFile('constructor=1\ntoString=2\n__proto__=3\nhasOwnProperty=4\n', 'p.env');
  assert.deepEqual(Object.keys(env).sort(), ['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
  assert.equal(env['__proto__'], '3');
  assert.throws(() => parseEnvFile('constructor=1\nconstructor=2\n', 'p.env'), /p\.env:2: constructor is set twice/);
});

test('a profile that is a directory, a FIFO, /dev/zero or "" is refused at once, naming it (exit 78)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-cfg-'));
  for (const [path, re] of [[dir, /a directory, not a regular file/], ['/dev/zero', /a character device, not a regular file/], ['', /profile "": the path is empty/]] as const) {
    assert.match(problems(() => loadConfig(path, ok, STORE_VARS))[0]!, re);
  }
  writeFileSync(join(dir, 'big.env'), `X=${'v'.repeat(70_000)}\n`);
  assert.match(problems(() => loadConfig(join(dir, 'big.env'), ok, STORE_VARS))[0]!, /big\.env": 70003 bytes \(at most 65536\)/);
});

