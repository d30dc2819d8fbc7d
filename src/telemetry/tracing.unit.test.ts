/**
 * Traces with an in-memory exporter: start-up phases are children of the `startup` span (a failed
 * phase is an error span), and tracing stays off (no provider, no spans) unless the OTEL_
 * exporter variables ask for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createLogger } from './logger.js';
import { initTracing, otelExportConfigured, startSpan, tracingOn } from './tracing.js';
import { runPhase } from '../runtime/phases.js';

test('off unless an OTLP endpoint is configured; OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED win', async () => {
  assert.equal(otelExportConfigured({}), false);
  assert.equal(otelExportConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true);
  assert.equal(otelExportConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }), true);
  assert.equal(otelExportConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_TRACES_EXPORTER: 'none' }), false);
  assert.equal(otelExportConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'true' }), false);
  assert.equal(await initTracing({}, 'warden-test'), null);
  assert.equal(tracingOn(), false);
  const s = startSpan('nothing');
  assert.equal(s.isRecording(), false, 'a no-op span when off');
  s.end();
});

test('start-up phases are spans under `startup`; a failed phase is an error span', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = (await initTracing({}, 'warden-test', exporter))!;
  const log = createLogger('silent', 2, {}, { pretty: false });
  try {
    const root = startSpan('startup');
    await runPhase(log, 'config_validated', async () => ({ value: 1 }), root);
    await assert.rejects(runPhase(log, 'schema_verified', async () => {
      throw Object.assign(new Error('Run: warden migrate'), { exitCode: 65 });
    }, root), /Run: warden migrate/);
    root.end();
    const spans = exporter.getFinishedSpans();
    const byName = new Map(spans.map((x) => [x.name, x]));
    const rootId = byName.get('startup')!.spanContext().spanId;
    assert.equal(byName.get('config_validated')!.parentSpanContext?.spanId, rootId);
    assert.equal(byName.get('schema_verified')!.parentSpanContext?.spanId, rootId);
    assert.equal(byName.get('schema_verified')!.status.code, 2, 'ERROR');
    assert.equal(byName.get('schema_verified')!.status.message, 'Run: warden migrate');
    assert.equal(byName.get('config_validated')!.resource.attributes['service.name'], 'warden-test');
  } finally {
    await tracing.shutdown();
  }
  assert.equal(tracingOn(), false);
});
