/**
 * The paper runtime's exit codes (sysexits.h), one per way start-up or a run can end, so a
 * supervisor (compose, systemd) and a person can tell them apart. infra/RUNTIME_STARTUP_SEQUENCE.md
 * lists the same table.
 */
export const RUNTIME_EXIT = {
  ok: 0, // clean shutdown after SIGTERM/SIGINT
  usage: 64, // unknown command-line argument
  schema: 65, // schema not migrated / incompatible, or stored data fails an integrity check
  unavailable: 69, // the store cannot be reached or opened
  internal: 70, // a bug or an unexpected error
  held: 75, // the store lock (PGlite) or the book's writer lease is held elsewhere, or was lost
  config: 78, // configuration invalid (variables, snapshot dir, health port, execution plane)
  sigint: 130, // a second SIGINT: immediate exit (no half-written step: steps are transactions)
  sigterm: 143, // a second SIGTERM: same
} as const;

/** The exit code an error carries (typed store/config errors have one), else internal. */
export function exitCodeOf(e: unknown): number {
  const code = (e as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' && Number.isInteger(code) && code > 0 && code < 256 ? code : RUNTIME_EXIT.internal;
}
