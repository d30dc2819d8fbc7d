/**
 * OpenTelemetry traces: off unless the standard OTEL_ exporter variables are set
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_TRACES_EXPORTER=none or
 * OTEL_SDK_DISABLED=true turn it off again). Off, every span call goes to the API's no-op tracer
 * and the SDK is never loaded. On, spans go over OTLP/HTTP (the exporter reads the OTEL_
 * variables itself) through a batch processor, flushed at shutdown.
 *
 * Spans: `startup` with a child per start-up phase, `book.tick` per market tick (book, tick time,
 * events, seq range, gate denials as attributes), and inside the pure kernel, through its probe
 * seam (./trace-probe.ts): `harness.task` per task of the tick, `policy.evaluate` per gate
 * evaluation and `module.execute` per module execution. Log lines of a tick carry its trace_id
 * and span_id when tracing is on.
 */
import { context, trace, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export const TRACER_NAME = 'warden';

export function otelExportConfigured(env: Record<string, string | undefined>): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export interface Tracing {
  shutdown(): Promise<void>;
}

let active = false;

/** Whether a tracer provider is installed (else spans are no-ops). */
export function tracingOn(): boolean {
  return active;
}

/**
 * Installs a tracer provider when the environment asks for export, or with `exporter` (tests: an
 * in-memory exporter, spans handed on at once). Returns null when tracing stays off.
 */
export async function initTracing(env: Record<string, string | undefined>, service: string, exporter?: SpanExporter): Promise<Tracing | null> {
  if (exporter === undefined && !otelExportConfigured(env)) return null;
  const sdk = await import('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const processor = exporter !== undefined
    ? new sdk.SimpleSpanProcessor(exporter)
    : new sdk.BatchSpanProcessor(new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter());
  const provider = new sdk.BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? service }), spanProcessors: [processor] });
  trace.setGlobalTracerProvider(provider);
  active = true;
  return {
    shutdown: async () => {
      active = false;
      await provider.shutdown();
      trace.disable();
    },
  };
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Starts a span, as a child of `parent` when given. */
export function startSpan(name: string, parent?: Span, attributes?: Record<string, string | number | boolean>): Span {
  const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
  return tracer().startSpan(name, { attributes }, ctx);
}

/** Ends a span with an error status (or OK). */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
  }
  span.end();
}

/** trace_id/span_id for a log line, when tracing is on. */
export function traceFields(span: Span): { trace_id?: string; span_id?: string } {
  if (!active) return {};
  const c = span.spanContext();
  return { trace_id: c.traceId, span_id: c.spanId };
}

/**
 * The span of the step being decided (the runner's `book.tick`), or null: set by the runner around
 * the synchronous decide of a step (several books share a process, but a decide never awaits), read
 * by the kernel's tracing probe (./trace-probe.ts) as the parent of the harness task spans.
 */
let stepSpan: Span | null = null;

export function withStepSpan<T>(span: Span | null, fn: () => T): T {
  const before = stepSpan;
  stepSpan = span;
  try {
    return fn();
  } finally {
    stepSpan = before;
  }
}

export function currentStepSpan(): Span | null {
  return stepSpan;
}
