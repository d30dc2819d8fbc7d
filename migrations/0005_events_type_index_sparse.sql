-- 0005_events_type_index_sparse: the typed-read index of 0004 without the three types every tick
-- writes. bar.closed (one per symbol), step.started and mark.recorded (one each per tick) are most
-- of a book's events (82 % of the reference backtest's, 84 % of the quick-start book's), and their
-- reads walk the primary key (stream, seq) about as well: one in every few events of a stream is
-- one, so a page of them scans a few times its length, the newest or the first is a few rows from
-- the walk's start, the newest before a time walks back over the events after it (the same pages
-- the marks among them were on), and a downsampled range of marks scans the stream either way. The
-- rare types (fills, trades, cash, lots, directives, policy changes) stay indexed: there the index
-- is what makes a page cost what it returns, not the stream's length. Leaving the three out saves
-- an append over four fifths of its index insertions.
-- An index only: no data changes, the append-only triggers are untouched.
DROP INDEX events_stream_type_seq;
CREATE INDEX events_stream_type_seq ON events (stream, type, seq) WHERE type NOT IN ('bar.closed', 'step.started', 'mark.recorded');
