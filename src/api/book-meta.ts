/**
 * What the dashboard needs to label and format a book, read once per stream from its first
 * book.opened (plane) and book.started (the recorded config: symbols, interval, initial cash and
 * each pair's decimals, resolved by this build). Immutable once both exist, so cached.
 */
import { resolveBook } from '../core/book/index.js';
import type { Db } from '../store/db.js';
import { firstOfType } from './reads.js';

/** Money in the quote currency (USD) is shown at cents; the exact value is in the API. */
export const QUOTE_DECIMALS = 2;

export interface BookMeta {
  execution_plane: string | null;
  symbols: string[];
  interval_s: number | null;
  initial_cash: string | null;
  config_hash: string | null;
  pairs: Record<string, { price_decimals: number; qty_decimals: number }>;
  quote_decimals: number;
}

export class BookMetaCache {
  private readonly done = new Map<string, BookMeta>();

  constructor(private readonly db: Db) {}

  async get(stream: string): Promise<BookMeta> {
    const hit = this.done.get(stream);
    if (hit) return hit;
    const opened = await firstOfType(this.db, stream, 'book.opened');
    const started = await firstOfType(this.db, stream, 'book.started');
    const meta: BookMeta = {
      execution_plane: opened ? String((opened.payload as { execution_plane?: unknown }).execution_plane ?? '') || null : null,
      symbols: [], interval_s: null, initial_cash: null, config_hash: null, pairs: {}, quote_decimals: QUOTE_DECIMALS,
    };
    if (started) {
      const p = started.payload as { config?: unknown; config_hash?: unknown; initial_cash?: unknown };
      meta.config_hash = typeof p.config_hash === 'string' ? p.config_hash : null;
      meta.initial_cash = typeof p.initial_cash === 'string' ? p.initial_cash : null;
      try {
        const book = resolveBook(p.config);
        meta.symbols = [...book.symbols];
        meta.interval_s = book.interval_s;
        for (const s of book.symbols) {
          const pair = book.pairs[s];
          if (pair) meta.pairs[s] = { price_decimals: pair.pair_decimals, qty_decimals: pair.lot_decimals };
        }
      } catch {
        // a config this build cannot resolve: shown without symbols (replay verify names the problem)
      }
    }
    if (opened && started) this.done.set(stream, meta);
    return meta;
  }
}
