/**
 * The `warden` program: commander and the commands' registrations (./commands; each command
 * loads its implementation with `await import()` when it runs): only the registration of the
 * command the run names, or all of them when it names none. Loaded by ./index.ts for anything
 * but a bare `--version`.
 */
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT, reportError, type GlobalOptions } from './context.js';

type Register = (program: Command, globals: () => GlobalOptions) => void;

/**
 * Every command: its name and its registration module, in the order of `warden --help`. Only the
 * command a run names is loaded (one module, not all of them: ~25 ms of every start-up); a run
 * that names none of them (--help, help, a typo commander suggests a fix for) registers them all.
 */
const COMMANDS: readonly (readonly [string, () => Promise<Register>])[] = [
  ['init', async () => (await import('./commands/init.js')).registerInit],
  ['migrate', async () => (await import('./commands/migrate.js')).registerMigrate],
  ['ingest', async () => (await import('./commands/ingest.js')).registerIngest],
  ['data', async () => (await import('./commands/data.js')).registerData],
  ['backtest', async () => (await import('./commands/backtest.js')).registerBacktest],
  ['quickstart', async () => (await import('./commands/quickstart.js')).registerQuickstart],
  ['replay', async () => (await import('./commands/replay.js')).registerReplay],
  ['book', async () => (await import('./commands/book.js')).registerBook],
  ['directives', async () => (await import('./commands/directives.js')).registerDirectives],
  ['skills', async () => (await import('./commands/skills.js')).registerSkills],
  ['epoch', async () => (await import('./commands/epoch.js')).registerEpoch],
  ['feed', async () => (await import('./commands/feed.js')).registerFeed],
  ['serve', async () => (await import('./commands/serve.js')).registerServe],
  ['monitors', async () => (await import('./commands/monitors.js')).registerMonitors],
  ['report', async () => (await import('./commands/report.js')).registerReport],
];

/**
 * The commands that are over when their action returns (nothing of theirs left running on the
 * event loop): ./index.ts ends the process as soon as their output is written, skipping the
 * isolate's teardown. A server or a feed (serve, feed, the runtime) must never be listed.
 */
export const EXITS_WHEN_DONE: ReadonlySet<string> = new Set(['backtest']);

/** Global options that take a value (their value is not the command's name). */
const VALUE_OPTIONS: ReadonlySet<string> = new Set(['--profile', '--env-file']);

/** The command argv names (its first operand after the global options), or null. */
export function commandNamed(argv: readonly string[]): string | null {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i] as string;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (a === '--') return null;
    else if (!a.startsWith('-')) return a;
  }
  return null;
}

export async function buildProgram(version: string, argv: readonly string[]): Promise<Command> {
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
  const named = commandNamed(argv);
  const only = COMMANDS.find(([name]) => name === named);
  const registers = await Promise.all((only === undefined ? COMMANDS : [only]).map(([, load]) => load()));
  for (const register of registers) register(program, globals); // in COMMANDS order: the order of --help
  return program;
}

/** Parses `argv` and runs the command; resolves to the exit code. */
export async function main(argv: string[], version: string): Promise<number> {
  const program = await buildProgram(version, argv);
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
