#!/usr/bin/env node
/**
 * The `warden` CLI's entry point. A bare `warden --version` (or `-V`) needs nothing but
 * package.json and is answered here, before commander loads; anything else goes to ./program.ts,
 * which loads commander and the commands' registrations only: each command loads its
 * implementation (store, kernel, config schema, logger; later the HTTP and UI modules) with
 * `await import()` when it runs, so `--help` starts in about the time of a bare node.
 * test/cli-startup.e2e.test.ts fails when start-up loads more again; npm run bench:startup times it.
 * A bare `--version`, and a command listed in program.ts EXITS_WHEN_DONE (backtest), exit as soon as
 * their output is written.
 */
import { readFileSync } from 'node:fs';

const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${version}\n`); // what commander prints for it (with options around it, commander answers)
  exitWhenWritten(0);
} else {
  const { main, commandNamed, EXITS_WHEN_DONE } = await import('./program.js');
  process.exitCode = await main(process.argv, version);
  // A command that is over when its action returns (nothing left running: no server, no timer)
  // exits here, once stdout and stderr are written out, instead of tearing the process down: a
  // natural exit disposes the isolate (waits for background compile and GC tasks, frees the heap
  // page by page), ~40-150 ms after a backtest's last line.
  if (EXITS_WHEN_DONE.has(commandNamed(process.argv) ?? '')) exitWhenWritten(process.exitCode);
}

/** process.exit(code) once everything written to stdout and stderr before this call is out (a write callback runs in order). */
function exitWhenWritten(code: number): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
