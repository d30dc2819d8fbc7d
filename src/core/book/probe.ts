/**
 * A seam for the drivers. The kernel has no clock, so it cannot measure how long its policy
 * evaluation or a module's execution takes, nor open a trace span; a driver that wants to (the
 * paper runtime's metrics: policy_evaluation_duration_seconds, execution_duration_seconds; its
 * OpenTelemetry spans per harness task, gate evaluation and module execution) passes a StepProbe
 * to bookKernel, and the kernel calls `time(kind, label, fn)` around exactly that work and
 * `task(name)` / `taskEnd()` around each harness task of a tick. The kernel uses only fn's result:
 * a probe sees the work, it cannot change it, so the events and the state are the same with or
 * without one (the backtest and replay run without).
 */
export type ProbeKind = 'policy_evaluation' | 'execution';

export interface StepProbe {
  /** Runs fn and returns its result; `label` is the directive type. */
  time<T>(kind: ProbeKind, label: string, fn: () => T): T;
  /** A harness task of the tick starts (./tick.ts: record_bars, fill_orders, ..., skill:<key>:<symbol>). */
  task?(name: string): void;
  /** The task started last ends (not called when the step throws: the driver discards the step). */
  taskEnd?(): void;
}

/** fn() through the probe when there is one. */
export function probed<T>(probe: StepProbe | undefined, kind: ProbeKind, label: string, fn: () => T): T {
  return probe === undefined ? fn() : probe.time(kind, label, fn);
}
