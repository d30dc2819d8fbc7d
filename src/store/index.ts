/** The store: engines, migrations, the event store. Imported lazily by commands that need it. */
export * from './db.js';
export * from './errors.js';
export * from './event-store.js';
export * from './migrations.js';
export * from './open.js';
