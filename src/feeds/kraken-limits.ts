/** Kraken public API facts the feeds and their config share (docs.kraken.com, get-ohlc-data). */

/** OHLC intervals in minutes; a page holds at most KRAKEN_OHLC_PAGE_ROWS rows. */
export const KRAKEN_OHLC_MINUTES: readonly number[] = [1, 5, 15, 30, 60, 240, 1440, 10080, 21600];
export const KRAKEN_OHLC_PAGE_ROWS = 720;
