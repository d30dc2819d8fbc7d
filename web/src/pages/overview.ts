/**
 * Overview: one card per book (runtime books first): plane (PAPER/SHADOW) labelled, status,
 * equity, drawdown and tier, data staleness (ACTIVE/LATE/STALE; a STALE book's card is greyed:
 * do not trust it). Live appends (SSE) update the head and the equity in place.
 */
import { get, type Book } from '../api.js';
import { badge, h, num, utc } from '../format.js';
import { every, STALENESS_REFRESH_MS } from '../refresh.js';

export async function overview(main: HTMLElement): Promise<void> {
  const { books } = await get<{ books: Book[] }>('/api/books');
  books.sort((a, b) => (a.kind === b.kind ? a.stream.localeCompare(b.stream) : a.kind === 'runtime' ? -1 : 1));
  main.append(h('h1', {}, 'Books'));
  if (books.length === 0) main.append(h('p', {}, 'No book in this store yet: run a book (npm run start:paper) or persist a backtest (warden backtest --persist).'));
  const grid = h('div', { class: 'cards' });
  for (const b of books) grid.append(card(b));
  main.append(grid);
  every(STALENESS_REFRESH_MS, async () => {
    for (const b of (await get<{ books: Book[] }>('/api/books')).books) {
      const c = main.querySelector<HTMLElement>(`section.card[data-stream="${CSS.escape(b.stream)}"]`);
      const el = c?.querySelector<HTMLElement>('span.staleness');
      if (!c || !el || el.textContent === b.staleness.status) continue;
      el.replaceChildren(badge(b.staleness.status));
      const stale = b.staleness.status === 'STALE';
      c.classList.toggle('stale', stale);
      c.querySelector('p.warn')?.remove();
      if (stale) c.append(staleWarning());
    }
  });
}

const staleWarning = () => h('p', { class: 'warn' }, 'Data is STALE: do not trust this book until its feed resumes.');

function card(b: Book): HTMLElement {
  const stale = b.staleness.status === 'STALE';
  const m = b.last_mark;
  const c = h('section', { class: `card${stale ? ' stale' : ''}`, 'data-stream': b.stream, 'aria-label': `book ${b.stream}` });
  c.append(
    h('h2', {}, h('a', { href: `#/book/${encodeURIComponent(b.stream)}` }, b.stream)),
    h('p', { class: 'badges' }, badge(b.execution_plane ?? 'UNOPENED', 'plane'), ' ', badge(b.kind === 'backtest' ? 'BACKTEST' : 'RUNTIME', 'kind'), ' ',
      h('span', { class: 'staleness' }, badge(b.staleness.status)), ' ', m?.tier ? badge(m.tier.toUpperCase(), `tier_${m.tier}`) : null),
    dl([
      ['Equity', h('span', { class: 'equity' }, num(m?.equity, b.quote_decimals))],
      ['Cash', num(m?.cash, b.quote_decimals)],
      ['Drawdown', num(m?.drawdown_pct, 2, ' %')],
      ['Symbols', b.symbols.join(', ') || '-'],
      ['Last mark', h('span', { class: 'mark-time' }, utc(m?.time_ms))],
      ['Head seq', h('span', { class: 'head-seq' }, String(b.head_seq))],
    ]),
  );
  if (stale) c.append(staleWarning());
  return c;
}

export function dl(rows: Array<[string, Node | string]>): HTMLElement {
  const d = h('dl', { class: 'figures' });
  for (const [k, v] of rows) d.append(h('dt', {}, k), h('dd', {}, v));
  return d;
}

/** Applies a live append to the overview's card of that stream (if shown). */
export function applyLive(a: { stream: string; head_seq: number; mark: Record<string, unknown> | null }, quoteDecimals = 2): void {
  const c = document.querySelector<HTMLElement>(`section.card[data-stream="${CSS.escape(a.stream)}"]`);
  if (!c) return;
  const seq = c.querySelector('.head-seq');
  if (seq) seq.textContent = String(a.head_seq);
  const eq = c.querySelector('.equity');
  if (eq && a.mark && typeof a.mark.equity === 'string') eq.replaceChildren(num(a.mark.equity, quoteDecimals));
  const t = c.querySelector('.mark-time');
  if (t && a.mark && typeof a.mark.time_ms === 'number') t.textContent = utc(a.mark.time_ms);
  c.dataset.updated = String(Date.now());
}
