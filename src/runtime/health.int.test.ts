/** /healthz and /readyz on loopback: readiness follows the status, nothing else is served. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHealth } from './health.js';

test('readyz is 503 until ready and after shutdown starts; healthz is 200 throughout; others 404/405', async () => {
  const status = { phase: 'schema_verified', ready: false };
  const h = await startHealth('127.0.0.1', 0, () => status);
  try {
    const get = async (path: string, method = 'GET') => {
      const r = await fetch(`http://127.0.0.1:${h.port}${path}`, { method });
      return { code: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    assert.deepEqual(await get('/healthz'), { code: 200, body: { status: 'alive', phase: 'schema_verified' } });
    assert.equal((await get('/readyz')).code, 503);
    status.ready = true;
    status.phase = 'ready';
    assert.deepEqual(await get('/readyz'), { code: 200, body: { ready: true, phase: 'ready' } });
    status.ready = false;
    assert.equal((await get('/readyz')).code, 503);
    assert.equal((await get('/readyz', 'POST')).code, 405);
    assert.equal((await get('/metrics')).code, 404);
  } finally {
    await h.close();
  }
});

test('a port already in use is a configuration error (exit 78) naming the variables', async () => {
  const a = await startHealth('127.0.0.1', 0, () => ({ phase: 'x', ready: false }));
  try {
    await assert.rejects(startHealth('127.0.0.1', a.port, () => ({ phase: 'x', ready: false })), (e: Error & { exitCode?: number }) =>
      e.exitCode === 78 && /WARDEN_HTTP_HOST\/WARDEN_HTTP_PORT\): EADDRINUSE/.test(e.message));
  } finally {
    await a.close();
  }
});
