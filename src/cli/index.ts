#!/usr/bin/env node
/**
 * The `warden` CLI's entry point. A bare `warden --version` (or `-V`) needs nothing but
 * package.json and is answered here, before commander loads; anything else goes to ./program.ts,
 * which loads commander and the commands' registrations only: each command loads its
 * implementation (store, kernel, config schema, logger; later the HTTP and UI modules) with
 * `await import()` when it runs, so `--help` starts in about the time of a bare node.
 * test/cli-startup.e2e.test.ts fails when start-up loads more again; npm run bench:startup times it.
 */
import { readFileSync } from 'node:fs';

const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${version}\n`); // what commander prints for it (with options around it, commander answers)
} else {
  const { main } = await import('./program.js');
  process.exitCode = await main(process.argv, version);
}
