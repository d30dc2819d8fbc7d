/**
 * Builds the Dockerfile's runtime stage layout locally (no Docker engine here): package.json +
 * package-lock.json, `npm ci --omit=dev`, dist/src, dist/web and migrations/ in a temp directory, exactly
 * what stage 2 copies. Then, from that directory only, migrates a fresh PostgreSQL database (the
 * one-off command) and runs the image's CMD (npm run start:paper's command, read from the
 * Dockerfile) to `ready`, then SIGTERM to `shutdown_complete` and exit 0. A runtime dependency
 * missing from "dependencies" fails here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePostgres, TEST_PG_URL, uniqueName } from './support/engines.js';
import { cleanEnv, ROOT, runtimeVars, start, tempPgDatabase } from './runtime-proc.js';

const NPM_CI_MS_MAX = 300_000;

function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${NPM_CI_MS_MAX} ms:\n${out}`));
    }, NPM_CI_MS_MAX);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

let app = '';
let db: { url: string; drop: () => Promise<void> } | undefined;

before(async () => {
  await requirePostgres();
  app = mkdtempSync(join(tmpdir(), 'warden-image-'));
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(ROOT, f), join(app, f));
  const ci = await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], app, {});
  assert.equal(ci.code, 0, `npm ci --omit=dev failed:\n${ci.out}`);
  cpSync(join(ROOT, 'dist', 'src'), join(app, 'dist', 'src'), { recursive: true });
  cpSync(join(ROOT, 'dist', 'web'), join(app, 'dist', 'web'), { recursive: true }); // the dashboard the API serves
  cpSync(join(ROOT, 'migrations'), join(app, 'migrations'), { recursive: true });
  const adminUrl = new URL(TEST_PG_URL);
  adminUrl.pathname = '/postgres';
  db = await tempPgDatabase(adminUrl.toString(), uniqueName('warden_rt_img'));
});

after(async () => {
  await db?.drop();
  if (app) rmSync(app, { recursive: true, force: true });
});

test('the runtime stage layout has no dev dependencies and no tests', () => {
  assert.ok(existsSync(join(app, 'node_modules', 'pg')));
  assert.ok(!existsSync(join(app, 'node_modules', 'typescript')), 'typescript (dev) is not installed');
  assert.ok(!existsSync(join(app, 'node_modules', 'eslint')), 'eslint (dev) is not installed');
  assert.ok(!existsSync(join(app, 'dist', 'test')));
});

function imageCmd(): string[] {
  const m = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'infra', 'docker', 'Dockerfile.runtime'), 'utf8'));
  assert.ok(m, 'the Dockerfile has an exec-form CMD');
  const cmd = JSON.parse(m[1]!) as string[];
  return cmd[0] === 'node' ? [process.execPath, ...cmd.slice(1)] : cmd;
}

test('from the runtime stage alone: migrate (one-off), then the image CMD reaches ready and stops cleanly on SIGTERM', async () => {
  const vars = runtimeVars(db!.url, join(app, 'snapshots'));
  const migrate = await run(process.execPath, ['dist/src/cli/index.js', 'migrate'], app, vars);
  assert.equal(migrate.code, 0, migrate.out);
  assert.match(migrate.out, /applied 0001_event_store/);
  const p = start(imageCmd(), vars, app);
  const ready = await p.waitFor('ready');
  assert.equal(typeof ready.http_port, 'number');
  const res = await fetch(`http://127.0.0.1:${String(ready.http_port)}/readyz`);
  assert.equal(res.status, 200);
  p.child.kill('SIGTERM'); // as `docker stop` does (through tini)
  assert.equal(await p.exit, 0, p.stderr());
  assert.ok(p.lines.some((l) => l.event === 'shutdown_complete'));
});
