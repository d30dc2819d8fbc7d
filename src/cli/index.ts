#!/usr/bin/env node
/**
 * The `warden` CLI. Each command lives in ./commands; this file and the commands' register*
 * functions load only commander, and each command loads its implementation (store, kernel, config
 * schema, logger; later the HTTP and UI modules) with `await import()` when it runs, so `--help`
 * and `--version` start in about the time of a bare node. test/cli-startup.e2e.test.ts fails
 * when a static import brings any of that back into start-up; npm run bench:startup times it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { EXIT, reportError, type GlobalOptions } from './context.js';
import { registerInit } from './commands/init.js';
import { registerMigrate } from './commands/migrate.js';
import { registerIngest } from './commands/ingest.js';
import { registerData } from './commands/data.js';
import { registerBacktest } from './commands/backtest.js';
import { registerQuickstart } from './commands/quickstart.js';
import { registerReplay } from './commands/replay.js';
import { registerBook } from './commands/book.js';

const pkgPath = fileURLToPath(new URL('../../../package.json', import.meta.url));
const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command('warden')
    .description('Warden: a deterministic, governed paper-trading runtime (never places a real order)')
    .version(version, '-V, --version')
    .option('--env-file <file>', 'load WARDEN_* variables from this profile (e.g. config/embedded.env); the process environment overrides it')
    .option('--debug', 'show stack traces on errors')
    .showHelpAfterError()
    .exitOverride();
  const globals = () => program.opts<GlobalOptions>();
  registerInit(program, globals);
  registerMigrate(program, globals);
  registerIngest(program, globals);
  registerData(program, globals);
  registerBacktest(program, globals);
  registerQuickstart(program, globals);
  registerReplay(program, globals);
  registerBook(program, globals);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version arrive here with exit code 0; usage errors were already printed.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(e, Boolean(program.opts<GlobalOptions>().debug));
  }
}

process.exitCode = await main(process.argv);
