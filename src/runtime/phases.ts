/**
 * Explicit start-up phases. Each phase logs exactly one line named after it, with its duration,
 * when it completes; a phase that fails is reported once as `startup_failed` with the phase, the
 * reason and the exit code, and the error is rethrown as a PhaseFailure.
 */
import type { Span } from '@opentelemetry/api';
import type { Logger } from '../telemetry/logger.js';
import { endSpan, startSpan } from '../telemetry/tracing.js';
import { exitCodeOf } from '../exit-codes.js';

export const STARTUP_PHASES = [
  'config_validated',
  'persistence_connected',
  'schema_verified',
  'lease_acquired',
  'state_restored',
  'loops_started',
  'ready',
] as const;
export type StartupPhase = (typeof STARTUP_PHASES)[number];

export class PhaseFailure extends Error {
  override readonly name = 'PhaseFailure';
  constructor(readonly phase: StartupPhase, override readonly cause: unknown, readonly exitCode: number) {
    super(`${phase}: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** Runs one phase: fn returns the extra fields for the phase's log line along with its value. */
export async function runPhase<T>(
  logger: Logger | (() => Logger),
  phase: StartupPhase,
  fn: () => Promise<{ value: T; fields?: Record<string, unknown> }>,
  /** The start-up span this phase's span belongs to (a no-op span when tracing is off). */
  parent?: Span,
): Promise<T> {
  const t0 = performance.now();
  const span = startSpan(phase, parent);
  const log = () => (typeof logger === 'function' ? logger() : logger); // the phase may replace the logger
  try {
    const { value, fields } = await fn();
    log().info({ event: phase, phase, duration_ms: Math.round(performance.now() - t0), ...fields });
    endSpan(span);
    return value;
  } catch (e) {
    const exitCode = exitCodeOf(e);
    const err = e as Error;
    endSpan(span, e);
    log().error({
      event: 'startup_failed',
      phase,
      reason: err?.message ?? String(e),
      error: err?.name,
      exit_code: exitCode,
      duration_ms: Math.round(performance.now() - t0),
      ...(log().isLevelEnabled('debug') && err?.stack ? { stack: err.stack } : {}),
    });
    throw new PhaseFailure(phase, e, exitCode);
  }
}
