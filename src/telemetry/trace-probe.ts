/**
 * The kernel's probe (src/core/book/probe.ts) as OpenTelemetry spans, for the paper runtime when
 * tracing is on (./tracing.ts): `harness.task` per task of a tick (attribute warden.task), and inside
 * them `policy.evaluate` per gate evaluation and `module.execute` per module execution (attribute
 * warden.directive_type). A task span's parent is the step's span (the runner's book.tick, via
 * withStepSpan); an evaluation's is the task that made it (an operator's approval step has no tick
 * span: its evaluation and execution spans start their own trace). A probe only sees the work: the
 * kernel's events are the same with it or without.
 */
import type { Span } from '@opentelemetry/api';
import type { ProbeKind, StepProbe } from '../core/book/probe.js';
import { currentStepSpan, endSpan, startSpan, tracingOn } from './tracing.js';

const SPAN_OF: Record<ProbeKind, string> = { policy_evaluation: 'policy.evaluate', execution: 'module.execute' };
/** Open task spans at most (a tick's tasks do not nest; this bounds a probe a failed step left open). */
const OPEN_SPANS_MAX = 64;

export function tracingProbe(): StepProbe {
  const open: Span[] = [];
  let over = 0; // tasks begun past OPEN_SPANS_MAX (no span), ended first
  let step: Span | null = null;
  const parent = (): Span | undefined => {
    const now = currentStepSpan();
    if (now !== step) {
      for (const s of open.splice(0)) s.end(); // left open by a step that threw: closed, not leaked
      over = 0;
      step = now;
    }
    return open[open.length - 1] ?? now ?? undefined;
  };
  return {
    time<T>(kind: ProbeKind, label: string, fn: () => T): T {
      if (!tracingOn()) return fn();
      const span = startSpan(SPAN_OF[kind], parent(), { 'warden.directive_type': label });
      open.push(span);
      try {
        const out = fn();
        endSpan(span);
        return out;
      } catch (e) {
        endSpan(span, e);
        throw e;
      } finally {
        open.splice(open.lastIndexOf(span), 1);
      }
    },
    task(name: string): void {
      if (!tracingOn()) return;
      const from = parent();
      if (open.length >= OPEN_SPANS_MAX) {
        over++;
        return;
      }
      open.push(startSpan('harness.task', from, { 'warden.task': name }));
    },
    taskEnd(): void {
      if (!tracingOn()) return;
      if (over > 0) over--;
      else open.pop()?.end();
    },
  };
}

/** Both probes, the first outside (e.g. the metrics' timing around the spans). */
export function bothProbes(a: StepProbe | undefined, b: StepProbe | undefined): StepProbe | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return {
    time: (kind, label, fn) => a.time(kind, label, () => b.time(kind, label, fn)),
    task: (name) => {
      a.task?.(name);
      b.task?.(name);
    },
    taskEnd: () => {
      b.taskEnd?.();
      a.taskEnd?.();
    },
  };
}
