/**
 * Test helper (not a test): Debian's chromium for the browser tests (playwright-core drives it),
 * its flags, where screenshots go, and the rule for a missing browser: CI=true fails, a local run
 * skips loudly.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Screenshots of the browser tests (test artifacts). */
export const SHOTS = join(tmpdir(), 'warden-dashboard-e2e');

/** null when chromium is there; else why not (and, under CI=true, a throw: a missing browser is a failure). */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const msg = `chromium not found at ${CHROMIUM}: the dashboard browser test needs it (apt-get install chromium; CHROMIUM_PATH overrides the path)`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${msg}. CI=true: a missing browser is a failure, not a skip`);
  process.stderr.write(`\n!!! SKIPPING the dashboard browser test: ${msg} !!!\n\n`);
  return msg;
}
