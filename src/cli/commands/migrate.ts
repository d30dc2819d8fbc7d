/** `warden migrate` applies pending migrations; `warden migrate status` shows each one's state. */
import type { Command } from 'commander';
import { EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';

export function registerMigrate(program: Command, globals: () => GlobalOptions): void {
  const migrate = program
    .command('migrate')
    .description('apply pending schema migrations to the configured store (the runtime never migrates)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withStore(globals(), 'migrate', async ({ db, log }) => {
        const { migrate: apply, migrationStatus } = await import('../../store/migrations.js');
        const done = await apply(db);
        for (const m of done) log.info({ event: 'migration_applied', version: m.version, name: m.name });
        const status = await migrationStatus(db);
        if (opts.json) return writeJson({ store: db.description, applied_now: done.map((m) => m.version), migrations: status });
        process.stdout.write(
          done.length === 0
            ? `${db.description}: schema is up to date (version ${status.length})\n`
            : `${db.description}: applied ${done.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`).join(', ')}; schema version ${status.length}\n`,
        );
      }, { create: true });
    });

  migrate
    .command('status')
    .description('list migrations as applied, pending, checksum_mismatch or unknown_to_this_build; exit 65 unless all are applied')
    .option('--json', 'print the result as JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      // optsWithGlobals: `--json` may have been parsed by the parent `migrate` command.
      const opts = cmd.optsWithGlobals<{ json?: boolean }>();
      await withStore(globals(), 'migrate status', async ({ db }) => {
        const { migrationStatus } = await import('../../store/migrations.js');
        const status = await migrationStatus(db);
        const upToDate = status.every((s) => s.state === 'applied');
        if (opts.json) writeJson({ store: db.description, up_to_date: upToDate, migrations: status });
        else {
          process.stdout.write(`${db.description}\n`);
          for (const s of status) {
            process.stdout.write(`  ${String(s.version).padStart(4, '0')}_${s.name.padEnd(28)} ${s.state.padEnd(22)} ${s.applied_at ?? ''}\n`);
          }
          if (!upToDate) process.stdout.write('not up to date: run `warden migrate`\n');
        }
        if (!upToDate) process.exitCode = EXIT.data;
      }, { brief: true });
    });
}
