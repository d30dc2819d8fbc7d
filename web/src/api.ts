/** GET helpers for the read-only API (same origin). The dashboard only reads. */
export class ApiError extends Error {}

export async function get<T>(path: string): Promise<T> {
  const r = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await r.json()) as T & { error?: string };
  if (!r.ok) throw new ApiError(`${path}: ${r.status} ${body.error ?? ''}`);
  return body;
}

export const enc = encodeURIComponent;

export interface Book {
  stream: string;
  kind: 'runtime' | 'backtest';
  book_id: string;
  head_seq: number;
  head_hash: string;
  lease_live: boolean;
  execution_plane: string | null;
  symbols: string[];
  interval_s: number | null;
  pairs: Record<string, { price_decimals: number; qty_decimals: number }>;
  quote_decimals: number;
  last_mark: { seq: number; time_ms: number; equity: string | null; cash: string | null; drawdown_pct: string | null; tier: string | null } | null;
  staleness: { status: string; series: Array<{ symbol: string; status: string; ctt_ms: number | null; overdue_s: number | null }> };
}

export interface Page<T> {
  items: Array<{ seq: number; type: string; time_ms: number; payload: T; hash?: string }>;
  next_after_seq: number | null;
  head_seq: number;
}

/** Subscribes to live appends (SSE); returns a close function. */
export function live(onAppend: (a: { stream: string; head_seq: number; mark: Record<string, unknown> | null }) => void, onState: (s: string) => void): () => void {
  const es = new EventSource('/api/live');
  es.addEventListener('hello', () => onState('live'));
  es.addEventListener('append', (e) => onAppend(JSON.parse((e as MessageEvent<string>).data) as { stream: string; head_seq: number; mark: Record<string, unknown> | null }));
  es.onerror = () => onState('reconnecting...');
  return () => es.close();
}
