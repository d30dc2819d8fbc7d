/**
 * Test helper (not a test): starts the paper runtime or the CLI as a child process with an
 * explicit WARDEN_* environment (the parent's WARDEN_* variables removed), collects its JSON log
 * lines and lets a test wait for an event or the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RUNTIME_JS = `${ROOT}dist/src/runtime/index.js`;
export const CLI_JS = `${ROOT}dist/src/cli/index.js`;
/** Generous bound for any wait in these tests (PGlite creating a new directory takes ~20 s). */
export const WAIT_MS_MAX = 120_000;

export type LogLine = { event?: string; phase?: string; [k: string]: unknown };

export function cleanEnv(vars: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('WARDEN_')) env[k] = v;
  return { ...env, ...vars };
}

export interface Proc {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  readonly stderr: () => string;
  readonly exit: Promise<number | null>;
  waitFor(event: string, ms?: number): Promise<LogLine>;
}

export function start(cmd: string[], vars: Record<string, string>, cwd = ROOT): Proc {
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd, env: cleanEnv(vars), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  let err = '';
  let buf = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ raw: line });
      }
      waiters.forEach((w) => w());
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  let exited = false;
  // 'close' (not 'exit'): every line of stdout has been read by then.
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => {
    exited = true;
    waiters.forEach((w) => w());
    resolve(code);
  }));
  return {
    child, lines, exit, stderr: () => err,
    waitFor(event, ms = WAIT_MS_MAX) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms; log:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${err}`)), ms);
        const check = () => {
          const hit = lines.find((l) => l.event === event);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else if (exited) {
            clearTimeout(timer);
            reject(new Error(`exited before ${event}; log:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${err}`));
          }
        };
        waiters.push(check);
        check();
      });
    },
  };
}

export const runtime = (vars: Record<string, string>, cwd?: string) => start([process.execPath, RUNTIME_JS], vars, cwd);

/** Runs `warden <args>` to completion. */
export async function cli(args: string[], vars: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn(process.execPath, [CLI_JS, ...args], { cwd: ROOT, env: cleanEnv(vars), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => p.on('exit', resolve));
  return { code, stdout, stderr };
}

export function runtimeVars(databaseUrl: string, snapshotDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    WARDEN_DATABASE_URL: databaseUrl,
    WARDEN_LOG_LEVEL: 'info',
    WARDEN_BOOK: 'main',
    WARDEN_EXECUTION_PLANE: 'PAPER',
    WARDEN_HTTP_HOST: '127.0.0.1',
    WARDEN_HTTP_PORT: '0',
    WARDEN_SNAPSHOT_EVERY_EVENTS: '1000',
    WARDEN_SNAPSHOT_DIR: snapshotDir,
    WARDEN_LEASE_TTL_MS: '3000',
    ...extra,
  };
}

/** Moved to test/support/engines.ts (shared by every process-level test). */
export { tempPgDatabase } from './support/engines.js';
