-- 0005_events_type_index_sparse: the typed-read index of 0004 without the two types every tick
-- writes. bar.closed (one per symbol per tick) and step.started (one per tick) are over half of a
-- book's events (55 % of the reference backtest's, 62 % of the quick-start book's), and a read of
-- either walks the primary key (stream, seq) at least as well: one in every few events of a stream
-- is one, so a page of them scans a few times its length. Every other type stays indexed: the
-- rare ones (fills, trades, directives, policy changes), where the index is what makes a page
-- cost what it returns, and mark.recorded, whose range and newest-first reads feed the dashboard.
-- Keeping those two types out of the index removes over half of an append's index insertions.
-- An index only: no data changes, the append-only triggers are untouched.
DROP INDEX events_stream_type_seq;
CREATE INDEX events_stream_type_seq ON events (stream, type, seq) WHERE type NOT IN ('bar.closed', 'step.started');
