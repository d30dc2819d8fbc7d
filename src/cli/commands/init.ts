/**
 * `warden init`: prepares the configured store (applies pending migrations) and prints its status:
 * engine, durability, schema version, and every stream with its chain verified end to end.
 * It is the quick start's main job until a running book replaces it (README).
 */
import type { Command } from 'commander';
import { withStore, writeJson, type GlobalOptions } from '../context.js';

export function registerInit(program: Command, globals: () => GlobalOptions): void {
  program
    .command('init')
    .description('migrate the configured store if needed, verify every stream and print the store status')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withStore(globals(), 'init', async ({ db, log }) => {
        const { migrate, verifySchema } = await import('../../store/migrations.js');
        const { EventStore } = await import('../../store/event-store.js');
        const { toHex } = await import('../../core/canonical/hash.js');
        const applied = await migrate(db);
        for (const m of applied) log.info({ event: 'migration_applied', version: m.version, name: m.name });
        const version = await verifySchema(db);
        const store = new EventStore(db);
        const streams = [];
        for (const s of await store.streams()) {
          const v = await store.verify(s.stream);
          streams.push({ ...s, verified_events: v.events, verified_head_hash: toHex(v.head_hash) });
        }
        const durability =
          db.engine === 'pglite'
            ? 'embedded PGlite: one process at a time; no fsync, so it survives a process crash but not a power loss'
            : 'PostgreSQL server: durable per its fsync/synchronous_commit settings';
        const result = { store: db.description, engine: db.engine, durability, schema_version: version, migrations_applied_now: applied.map((m) => m.version), streams };
        if (opts.json) return writeJson(result);
        const out = [
          `Warden store ${db.description}`,
          `  engine          ${durability}`,
          `  schema version  ${version}${applied.length ? ` (applied now: ${applied.map((m) => m.version).join(', ')})` : ' (up to date)'}`,
          `  streams         ${streams.length}${streams.length === 0 ? ' (no book has run yet)' : ''}`,
          ...streams.map((s) => `    ${s.stream.padEnd(24)} events ${String(s.verified_events).padStart(8)}  head ${s.verified_head_hash.slice(0, 16)}  chain verified`),
        ];
        process.stdout.write(out.join('\n') + '\n');
      }, { create: true });
    });
}
