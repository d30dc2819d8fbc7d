/**
 * Number formatting for people: the API carries exact decimal strings; the page shows them
 * rounded half-even (money at the quote's cents, prices at the pair's decimals, quantities at its
 * lot decimals) with the exact value in the element's title (hover). Rounding is done on the
 * decimal text with BigInt, never through a float (src/ui/decimal-text.ts, shared with the report).
 */
import { roundText } from '../../src/ui/decimal-text.js';

export { roundText };

/** An element showing `exact` rounded to `decimals`, the exact text on hover (data-exact for tests). */
export function num(exact: string | null | undefined, decimals: number, suffix = ''): HTMLElement {
  const el = document.createElement('span');
  el.className = 'num';
  if (exact === null || exact === undefined) {
    el.textContent = '-';
    return el;
  }
  el.textContent = roundText(exact, decimals) + suffix;
  el.title = exact + suffix;
  el.dataset.exact = exact;
  el.dataset.decimals = String(decimals);
  return el;
}

export function utc(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return new Date(ms).toISOString().replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, 'Z');
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string | null>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

export function badge(text: string, kind = text.toLowerCase()): HTMLElement {
  return h('span', { class: `badge badge-${kind.replace(/[^a-z_]/g, '')}` }, text);
}

/** A table with a caption, header and rows of cells (strings or nodes). */
export function table(id: string, caption: string, head: string[], rows: Array<Array<Node | string>>): HTMLElement {
  const t = h('table', { id });
  t.append(h('caption', {}, caption));
  const thead = h('thead');
  const tr = h('tr');
  for (const c of head) tr.append(h('th', { scope: 'col' }, c));
  thead.append(tr);
  const tbody = h('tbody');
  for (const r of rows) {
    const row = h('tr');
    for (const c of r) row.append(h('td', {}, c));
    tbody.append(row);
  }
  if (rows.length === 0) tbody.append(h('tr', {}, h('td', { colspan: String(head.length), class: 'empty' }, 'none')));
  t.append(thead, tbody);
  return t;
}
