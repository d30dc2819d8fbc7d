/**
 * `npm run start:paper` = node dist/src/runtime/index.js [--env-file <file>]: the paper runtime's
 * entry point. Parses its arguments (--env-file, --pretty | --json-logs), runs the runtime (./main.ts) and exits with its code.
 * Environment variables override the env file, as for the CLI. No live execution exists.
 */
import { EXIT } from '../exit-codes.js';

const USAGE = 'usage: node dist/src/runtime/index.js [--env-file <file>] [--pretty | --json-logs]   (npm run start:paper -- --env-file config/embedded.env)\n' +
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
    if (a === '--pretty') pretty = true;
    else if (a === '--json-logs') pretty = false;
    else if (a === '--env-file' && argv[i + 1] !== undefined) envFile = argv[++i];
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
