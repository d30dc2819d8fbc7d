/**
 * A bench that times the kernel runs as warden runs: with WARDEN_NODE_FLAGS (src/cli/node-flags.ts,
 * the flags of the `warden` executable). Started without them (`node dist/bench/x.js`), the script
 * runs itself again with them and exits with that run's status. WARDEN_BENCH_NODE_DEFAULTS=1 keeps
 * node's defaults (a bench's own comparison run).
 */
import { spawnSync } from 'node:child_process';
import { WARDEN_NODE_FLAGS } from '../src/cli/node-flags.js';

export const NODE_DEFAULTS_ENV = 'WARDEN_BENCH_NODE_DEFAULTS';

export function runAsWarden(): void {
  if (process.env[NODE_DEFAULTS_ENV] === '1' || WARDEN_NODE_FLAGS.every((f) => process.execArgv.includes(f))) return;
  const r = spawnSync(process.execPath, [...WARDEN_NODE_FLAGS, ...process.execArgv, process.argv[1] as string, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
