/**
 * Typed store errors. Each carries the process exit code the CLI and runtime use for it
 * (sysexits.h: 65 EX_DATAERR, 69 EX_UNAVAILABLE, 75 EX_TEMPFAIL, 78 EX_CONFIG).
 */
export class StoreError extends Error {
  override name = 'StoreError';
  readonly exitCode: number = 1;
}

/** The stream head moved: someone else appended (optimistic concurrency). Nothing was written. */
export class ConcurrencyError extends StoreError {
  override name = 'ConcurrencyError';
  override readonly exitCode = 75;
  constructor(readonly stream: string, readonly expectedSeq: number, readonly actualSeq: number) {
    super(`append to ${stream}: expected head seq ${expectedSeq}, actual head seq ${actualSeq}; nothing was written`);
  }
}

/** The caller's lease epoch is not the stream's current one (fencing). Nothing was written. */
export class LeaseError extends StoreError {
  override name = 'LeaseError';
  override readonly exitCode = 75;
  constructor(message: string, readonly stream: string, readonly holder: string | null, readonly currentEpoch: number) {
    super(message);
  }
}

/** Another process holds the embedded store's lock file. */
export class StoreLockedError extends StoreError {
  override name = 'StoreLockedError';
  override readonly exitCode = 75;
  constructor(readonly lockPath: string, readonly holderPid: number, readonly holderCommand: string) {
    super(
      `the embedded store is in use by another process: pid ${holderPid} (${holderCommand}) holds ${lockPath}. ` +
        'PGlite allows one process per data directory: stop that process, or point WARDEN_DATABASE_URL at another directory.',
    );
  }
}

/** The database cannot be reached or opened. */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
  override readonly exitCode = 69;
}

/** The schema is not the one this build expects (pending, unknown or modified migrations). */
export class SchemaError extends StoreError {
  override name = 'SchemaError';
  override readonly exitCode = 65;
}

/** Stored data fails an integrity check (hash chain, seq gap, corrupt body). */
export class IntegrityError extends StoreError {
  override name = 'IntegrityError';
  override readonly exitCode = 65;
  constructor(message: string, readonly stream: string, readonly seq: number) {
    super(message);
  }
}
