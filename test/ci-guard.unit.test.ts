/** A missing PostgreSQL fails the store tests loudly; it is never a silent skip. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirePostgres } from './support/engines.js';

test('requirePostgres rejects an unreachable server with the command that starts it', async () => {
  await assert.rejects(requirePostgres('postgres://postgres@127.0.0.1:1/test'), (e: Error) => {
    assert.match(e.message, /PostgreSQL is required for the store tests and is unreachable at postgres:\/\/postgres@127\.0\.0\.1:1\/test/);
    assert.match(e.message, /pg_ctlcluster --skip-systemctl-redirect/);
    return true;
  });
});
