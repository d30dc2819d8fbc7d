/**
 * The read-only API's bounds (a limit on everything): page sizes, rows scanned per typed page,
 * chart points, cached streams, live clients. A request asking for more is refused (400) naming
 * the parameter and its maximum, never silently truncated.
 */
export const PAGE_LIMIT_DEFAULT = 100;
export const PAGE_LIMIT_MAX = 1_000;
/** Rows a filtered list (ticks by status) examines per page before it answers with what it found and next_after_seq. */
export const PAGE_SCAN_ROWS_MAX = 10_000;
export const MARK_POINTS_DEFAULT = 1_000;
export const MARK_POINTS_MAX = 4_000;
export const CANDLES_DEFAULT = 500;
export const CANDLES_MAX = 5_000;
export const FILLS_PER_CHART_MAX = 5_000;
/** Book states kept folded in memory (least recently used dropped). */
export const STATE_CACHE_STREAMS_MAX = 8;
export const SSE_CLIENTS_MAX = 32;
/** How often the live tailer looks for new events (SSE, metrics). */
export const TAIL_INTERVAL_MS = 1_000;
/** Events handed on per stream per tail round (the rest waits for the next round). */
export const TAIL_EVENTS_PER_ROUND_MAX = 5_000;
export const BOOK_STREAMS_MAX = 1_000;
