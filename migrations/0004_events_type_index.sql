-- 0004_events_type_index: the typed reads of a stream (events of one or a few types in seq order:
-- the directives read model, the API's trades/fills/ledger/ticks lists, the newest mark, the
-- metrics tailer) walk this index instead of every event of the stream. An index only: no data
-- changes, the append-only triggers are untouched.
CREATE INDEX events_stream_type_seq ON events (stream, type, seq);
