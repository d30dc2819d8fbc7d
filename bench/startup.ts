/**
 * CLI start-up time, printed (never asserted; test/cli-startup.e2e.test.ts checks WHAT loads):
 * wall time of `warden --version`, `--help` and `backtest --help` as whole processes, next to the
 * floor of a bare `node -e 0` measured in the same run. Median and best of N runs each.
 * Target (issue F9): `warden --version` <= 0.15 s wall.
 * Run: npm run bench:startup [-- --runs N] [-- --cli other/dist/src/cli/index.js] (compare a build)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Number(opt('--runs') ?? 20);
const clis = [join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'index.js')];
for (let i = args.indexOf('--cli'); i >= 0; i = args.indexOf('--cli', i + 1)) clis.push(args[i + 1]!);

/**
 * CPU seconds used by this process's waited-for children (Linux /proc/self/stat cutime + cstime,
 * in 1/100 s): on a loaded machine wall time also counts waiting for a core, CPU time does not.
 */
function childCpuS(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return NaN;
  }
}

function wall(argv: string[], env: NodeJS.ProcessEnv): { median: number; best: number; cpu: number } {
  const times: number[] = [];
  spawnSync(process.execPath, argv, { env }); // warm the file cache
  const cpu0 = childCpuS();
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], env });
    times.push((performance.now() - t0) / 1000);
    if (r.status !== 0) throw new Error(`node ${argv.join(' ')}: exit ${r.status}: ${r.stderr.toString()}`);
  }
  const cpu = (childCpuS() - cpu0) / RUNS;
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, best: times[0]!, cpu };
}

const fmt = (t: { median: number; best: number; cpu: number }) => `${t.median.toFixed(3)} s / ${t.best.toFixed(3)} s   cpu ${t.cpu.toFixed(3)} s`;
// NODE_EXTRA_CA_CERTS makes node read and parse that CA bundle at every start, before any of
// our code runs (measured: ~70 ms of a bare `node -e 0` on the 2-core machine): shown both ways.
const envs: [string, NodeJS.ProcessEnv][] = [['', process.env]];
if (process.env.NODE_EXTRA_CA_CERTS) {
  const { NODE_EXTRA_CA_CERTS: _ca, ...without } = process.env;
  envs[0]![0] = ' [NODE_EXTRA_CA_CERTS set]';
  envs.push([' [without NODE_EXTRA_CA_CERTS]', without]);
}
console.log(`${RUNS} runs each: median / best wall time, mean CPU time (user + sys)`);
for (const [tag, env] of envs) {
  console.log(`${'node -e 0 (floor)'.padEnd(58)} ${fmt(wall(['-e', '0'], env))}${tag}`);
  for (const cli of clis) {
    for (const argv of [['--version'], ['--help'], ['backtest', '--help']]) {
      console.log(`${`${cli} ${argv.join(' ')}`.slice(-58).padEnd(58)} ${fmt(wall([cli, ...argv], env))}${tag}`);
    }
  }
}
