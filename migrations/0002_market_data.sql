-- 0002_market_data: market data behind the ingestion gate.
--   ingest_batches  one row per ingestion attempt (accepted, rejected or quarantined), with the
--                   source's sha256; a rejected batch writes this row and nothing else.
--   raw_rows        the source rows of accepted batches, verbatim, with their line (or index in
--                   the payload), so every candle can be traced to the bytes it came from.
--   candles         canonical candles, one per (symbol, interval_s, open_time_ms), prices and
--                   volumes as canonical decimal text (Decimal.parse round-trips them exactly).
--   market_series   the head of each series: first/last open time and the canonical truth time
--                   (CTT); only the ingest gate's transaction moves it.
-- ingest_batches, raw_rows and candles are append-only, enforced like 0001 (triggers + grants).
-- Released: never edit this file; add a new migration instead.

CREATE SEQUENCE ingest_batch_id_seq;

CREATE TABLE ingest_batches (
  id             bigint PRIMARY KEY,
  source_name    text   NOT NULL,              -- file name or payload label as given
  source_sha256  text   NOT NULL CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
  format         text   NOT NULL,
  symbol         text   NOT NULL,
  interval_s     integer NOT NULL CHECK (interval_s > 0),
  status         text   NOT NULL CHECK (status IN ('accepted', 'rejected', 'quarantined')),
  rows_read      integer NOT NULL CHECK (rows_read >= 0),
  accepted       integer NOT NULL CHECK (accepted >= 0),
  duplicates     integer NOT NULL CHECK (duplicates >= 0),
  held_back      integer NOT NULL CHECK (held_back >= 0),
  gap_count      integer NOT NULL CHECK (gap_count >= 0),
  gap_intervals  bigint  NOT NULL CHECK (gap_intervals >= 0),
  first_open_ms  bigint,
  last_open_ms   bigint,
  report         text   NOT NULL,              -- canonical JSON: violations (rejected) or gaps (accepted)
  recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingest_batches_source ON ingest_batches (source_sha256, symbol, interval_s, status);
CREATE INDEX ingest_batches_series ON ingest_batches (symbol, interval_s, id);

CREATE TABLE raw_rows (
  batch_id  bigint  NOT NULL REFERENCES ingest_batches (id) DEFERRABLE INITIALLY DEFERRED,
  line      integer NOT NULL CHECK (line >= 1),
  raw       text    NOT NULL,
  PRIMARY KEY (batch_id, line)
);

CREATE TABLE candles (
  symbol        text    NOT NULL,
  interval_s    integer NOT NULL CHECK (interval_s > 0),
  open_time_ms  bigint  NOT NULL CHECK (open_time_ms >= 0),
  open          text    NOT NULL,
  high          text    NOT NULL,
  low           text    NOT NULL,
  close         text    NOT NULL,
  volume        text    NOT NULL,
  vwap          text,
  trades        integer CHECK (trades >= 0),   -- NULL: the source has no trade count
  batch_id      bigint  NOT NULL REFERENCES ingest_batches (id) DEFERRABLE INITIALLY DEFERRED,
  PRIMARY KEY (symbol, interval_s, open_time_ms)
);

CREATE TABLE market_series (
  symbol         text    NOT NULL,
  interval_s     integer NOT NULL CHECK (interval_s > 0),
  first_open_ms  bigint  NOT NULL,
  last_open_ms   bigint  NOT NULL CHECK (last_open_ms >= first_open_ms),
  ctt_ms         bigint  NOT NULL,             -- close time of the last accepted candle
  rows           bigint  NOT NULL CHECK (rows >= 1),
  last_batch_id  bigint  NOT NULL,
  PRIMARY KEY (symbol, interval_s)
);

CREATE TRIGGER ingest_batches_no_update BEFORE UPDATE OR DELETE ON ingest_batches
  FOR EACH ROW EXECUTE FUNCTION warden_reject_mutation();
CREATE TRIGGER ingest_batches_no_truncate BEFORE TRUNCATE ON ingest_batches
  FOR EACH STATEMENT EXECUTE FUNCTION warden_reject_mutation();
CREATE TRIGGER raw_rows_no_update BEFORE UPDATE OR DELETE ON raw_rows
  FOR EACH ROW EXECUTE FUNCTION warden_reject_mutation();
CREATE TRIGGER raw_rows_no_truncate BEFORE TRUNCATE ON raw_rows
  FOR EACH STATEMENT EXECUTE FUNCTION warden_reject_mutation();
CREATE TRIGGER candles_no_update BEFORE UPDATE OR DELETE ON candles
  FOR EACH ROW EXECUTE FUNCTION warden_reject_mutation();
CREATE TRIGGER candles_no_truncate BEFORE TRUNCATE ON candles
  FOR EACH STATEMENT EXECUTE FUNCTION warden_reject_mutation();

GRANT SELECT, INSERT ON ingest_batches, raw_rows, candles TO warden_runtime;
GRANT SELECT, INSERT, UPDATE ON market_series TO warden_runtime;
GRANT USAGE ON SEQUENCE ingest_batch_id_seq TO warden_runtime;
REVOKE UPDATE, DELETE, TRUNCATE ON ingest_batches, raw_rows, candles FROM warden_runtime;
