/**
 * `npm run start:paper` = node dist/src/runtime/index.js [--profile <file>] [--pretty | --json-logs]: the
 * paper runtime's entry point. Parses its arguments, runs the runtime (./main.ts) and exits with its code.
 * Environment variables override the profile, as for the CLI. No live execution exists.
 * `--env-file` is the former name of --profile, still accepted; Node itself pre-reads a
 * --env-file argument even after the script name (a bad path exits 9 before this runs).
 */
import { EXIT } from '../exit-codes.js';

const USAGE = 'usage: node dist/src/runtime/index.js [--profile <file>] [--pretty | --json-logs]   (npm run start:paper -- --profile config/embedded.env)\n' +
  '  --pretty     human-readable log lines (the default when stdout is a terminal)\n  --json-logs  JSON log lines even on a terminal\n';

function parseArgs(argv: readonly string[]): { envFile: string | undefined; pretty: boolean | undefined } | { exit: number } {
  let envFile: string | undefined;
  let pretty: boolean | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      return { exit: EXIT.ok };
    }
    const flag = a === '--profile' || a === '--env-file' ? a : null;
    if (a === '--pretty') pretty = true;
    else if (a === '--json-logs') pretty = false;
    else if (flag !== null && argv[i + 1] !== undefined) envFile = argv[++i];
    else if (a.startsWith('--profile=')) envFile = a.slice('--profile='.length);
    else if (a.startsWith('--env-file=')) envFile = a.slice('--env-file='.length);
    else {
      process.stderr.write(`warden runtime: unknown argument ${JSON.stringify(a)}\n${USAGE}`);
      return { exit: EXIT.usage };
    }
  }
  return { envFile, pretty };
}

const args = parseArgs(process.argv.slice(2));
if ('exit' in args) process.exit(args.exit);
const { runRuntime } = await import('./main.js');
const code = await runRuntime({ envFile: args.envFile, env: process.env, pretty: args.pretty });
process.exit(code);
