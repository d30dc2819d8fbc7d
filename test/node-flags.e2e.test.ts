/**
 * Warden's node flags (src/cli/node-flags.ts) are what its processes really start with: the
 * executable's shebang (run here as a user runs `./dist/src/cli/index.js` or `npx warden`, and
 * observed from inside the started process), the npm scripts that start a long-running process,
 * and the image's CMD. A flag added in one place and not the others fails here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { WARDEN_NODE_FLAGS } from '../src/cli/node-flags.js';
import { CLI, cleanEnv } from './support/cli.js';

const FLAGS = WARDEN_NODE_FLAGS.join(' ');

test('node flags: the list is not empty and every entry is a V8 option node accepts', () => {
  assert.ok(WARDEN_NODE_FLAGS.length > 0);
  const r = spawnSync(process.execPath, [...WARDEN_NODE_FLAGS, '-e', '0'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('node flags: the source and the built CLI start with a shebang that passes them to node', () => {
  const shebang = `#!/usr/bin/env -S node ${FLAGS}`;
  assert.equal(readFileSync('src/cli/index.ts', 'utf8').split('\n')[0], shebang);
  assert.equal(readFileSync(CLI, 'utf8').split('\n')[0], shebang);
});

test('node flags: the built CLI is executable and the process it starts runs with them', () => {
  accessSync(CLI, constants.X_OK); // npm run build makes it so
  const dir = mkdtempSync(join(tmpdir(), 'warden-node-flags-'));
  try {
    const out = join(dir, 'exec-argv.json');
    const preload = join(dir, 'preload.mjs');
    writeFileSync(preload, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(out)}, JSON.stringify(process.execArgv));\n`);
    // executed directly: the kernel's execve reads the shebang; the preload records what node got
    const r = spawnSync(resolve(CLI), ['--version'], { env: cleanEnv({ NODE_OPTIONS: `--import=${pathToFileURL(preload).href}` }), encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
    const execArgv = JSON.parse(readFileSync(out, 'utf8')) as string[];
    for (const f of WARDEN_NODE_FLAGS) assert.ok(execArgv.includes(f), `${f} in ${JSON.stringify(execArgv)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('node flags: npm start, start:paper and serve pass them; the image CMD is start:paper', () => {
  const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.equal(scripts.start, `node ${FLAGS} scripts/start.mjs`);
  assert.equal(scripts['start:paper'], `node ${FLAGS} dist/src/runtime/index.js`);
  assert.equal(scripts.serve, `node ${FLAGS} ${CLI} serve`);
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync('infra/docker/Dockerfile.runtime', 'utf8'));
  assert.ok(cmd, 'CMD in exec form');
  assert.deepEqual(JSON.parse(cmd[1] as string), ['node', ...WARDEN_NODE_FLAGS, 'dist/src/runtime/index.js']);
});
