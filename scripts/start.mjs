/**
 * `npm start`: builds only if needed (dist missing, or a source newer than its build: src, test,
 * bench, tsconfig, package.json for tsc; web/ for the dashboard), then runs `warden --profile config/embedded.env quickstart`
 * IN THIS PROCESS (no child: Ctrl-C reaches the runtime once, and it shuts down cleanly). Extra
 * arguments go to quickstart: `npm start -- --port 9000`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'dist', 'src', 'cli', 'index.js');
const WEB = join(ROOT, 'dist', 'web', 'index.html');
/** Limit: files looked at for the freshness check (a runaway tree is built anyway). */
const FILES_MAX = 20_000;

function newest(paths) {
  let max = 0;
  let seen = 0;
  const stack = paths.map((p) => join(ROOT, p)).filter((p) => existsSync(p));
  while (stack.length > 0) {
    const p = stack.pop();
    const st = statSync(p);
    if (++seen > FILES_MAX) return Infinity;
    if (st.isDirectory()) for (const e of readdirSync(p)) stack.push(join(p, e));
    else max = Math.max(max, st.mtimeMs);
  }
  return max;
}

const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
// tsc's build info is rewritten by every build (incremental builds leave unchanged outputs alone)
const tscAt = existsSync(CLI) ? mtime(join(ROOT, 'dist', '.tsbuildinfo')) : 0;
if (tscAt === 0 || newest(['src', 'test', 'bench', 'tsconfig.json', 'package.json']) > tscAt) {
  process.stdout.write('building (TypeScript)...\n');
  run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  run(process.execPath, [join(ROOT, 'scripts', 'bundle-zod.mjs')]); // as npm run build does (src/core/zod.ts)
}
if (mtime(WEB) === 0 || newest(['web']) > mtime(WEB)) {
  process.stdout.write('building (the dashboard)...\n');
  run('npm', ['run', 'build:web', '--silent']);
}
process.argv = [process.argv[0], CLI, '--profile', 'config/embedded.env', 'quickstart', ...process.argv.slice(2)];
await import(new URL(`file://${CLI}`).href);
