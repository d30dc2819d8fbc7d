/**
 * The `warden` program: commander and every command's registration (./commands; each command
 * loads its implementation with `await import()` when it runs). Loaded by ./index.ts for anything
 * but a bare `--version`.
 */
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT, reportError, type GlobalOptions } from './context.js';
import { registerInit } from './commands/init.js';
import { registerMigrate } from './commands/migrate.js';
import { registerIngest } from './commands/ingest.js';
import { registerData } from './commands/data.js';
import { registerBacktest } from './commands/backtest.js';
import { registerQuickstart } from './commands/quickstart.js';
import { registerReplay } from './commands/replay.js';
import { registerBook } from './commands/book.js';
import { registerDirectives } from './commands/directives.js';
import { registerSkills } from './commands/skills.js';
import { registerEpoch } from './commands/epoch.js';
import { registerFeed } from './commands/feed.js';
import { registerServe } from './commands/serve.js';
import { registerMonitors } from './commands/monitors.js';
import { registerReport } from './commands/report.js';

export function buildProgram(version: string): Command {
  const program = new Command('warden')
    .description('Warden: a deterministic, governed paper-trading runtime (never places a real order)')
    .version(version, '-V, --version')
    .option('--profile <file>', 'load WARDEN_* variables from this profile (e.g. config/embedded.env); the process environment overrides it')
    // The old name, still accepted. Node itself pre-reads a --env-file argument even after the
    // script name (a missing file or a directory exits 9 before Warden runs; /dev/zero is read
    // until memory runs out), so --profile is the documented name.
    .addOption(new Option('--env-file <file>', 'the former name of --profile').hideHelp())
    .option('--debug', 'show stack traces on errors')
    .showHelpAfterError()
    .exitOverride();
  const globals = (): GlobalOptions => {
    const o = program.opts<{ profile?: string; envFile?: string; debug?: boolean }>();
    if (o.profile !== undefined && o.envFile !== undefined) throw new CliError('--profile and --env-file name the same thing: pass one', EXIT.usage);
    return { envFile: o.profile ?? o.envFile, debug: o.debug };
  };
  registerInit(program, globals);
  registerMigrate(program, globals);
  registerIngest(program, globals);
  registerData(program, globals);
  registerBacktest(program, globals);
  registerQuickstart(program, globals);
  registerReplay(program, globals);
  registerBook(program, globals);
  registerDirectives(program, globals);
  registerSkills(program, globals);
  registerEpoch(program, globals);
  registerFeed(program, globals);
  registerServe(program, globals);
  registerMonitors(program, globals);
  registerReport(program, globals);
  return program;
}

/** Parses `argv` and runs the command; resolves to the exit code. */
export async function main(argv: string[], version: string): Promise<number> {
  const program = buildProgram(version);
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
