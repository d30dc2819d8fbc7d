/**
 * The ONE exit-code table (sysexits.h where one fits), for every command and the paper runtime, so
 * a supervisor (compose, systemd), a script and a person can tell the ways a run ends apart. The
 * README's "Exit codes" table lists them; infra/RUNTIME_STARTUP_SEQUENCE.md the runtime's.
 */
export const EXIT = {
  ok: 0, // success; the runtime: a clean shutdown after SIGTERM/SIGINT
  failure: 1, // a check failed (the message says which)
  usage: 64, // unknown command, option or argument
  data: 65, // bad input data, an incompatible / drifted schema, or stored data that fails an integrity check
  unavailable: 69, // the store cannot be reached or opened
  internal: 70, // a bug or an unexpected error
  io: 74, // an output file (--report, --out) could not be written (disk full, I/O error); nothing half-written is left
  held: 75, // held elsewhere: the store lock (PGlite), a writer lease, or a concurrent append moved the head
  config: 78, // configuration invalid (variables, profiles, book config, snapshot dir, health port, plane)
  sigint: 130, // the runtime: a second SIGINT, immediate exit (no half-written step: steps are transactions)
  sigterm: 143, // the runtime: a second SIGTERM, same
} as const;

/** The codes the paper runtime can exit with (it never exits `failure`). */
export const RUNTIME_EXIT_CODES = ['ok', 'usage', 'data', 'unavailable', 'internal', 'held', 'config', 'sigint', 'sigterm'] as const satisfies readonly (keyof typeof EXIT)[];

/** The exit code an error carries (typed errors have one), else internal. */
export function exitCodeOf(e: unknown): number {
  const code = (e as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' && Number.isInteger(code) && code > 0 && code < 256 ? code : EXIT.internal;
}
