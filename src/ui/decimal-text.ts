/**
 * Numbers for people, shared by the dashboard (web/src/format.ts) and the backtest report
 * (src/report/html.ts): the exact decimal text rounded half-even to `decimals` (money at the
 * quote's cents), with thousands separators. Done on the text with BigInt, never through a float;
 * the exact text stays in the element's title (hover). Pure: no DOM, no Node.
 */
export function roundText(exact: string, decimals: number): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(exact.trim());
  if (!m) return exact;
  const [, sign, int, frac = ''] = m;
  const padded = (frac + '0'.repeat(decimals + 1)).slice(0, decimals);
  let units = BigInt(int! + padded);
  const rest = frac.slice(decimals);
  if (rest.length > 0 && /[1-9]/.test(rest)) {
    const first = Number(rest[0]);
    const tail = /[1-9]/.test(rest.slice(1));
    const up = first > 5 || (first === 5 && (tail || units % 2n === 1n));
    if (up) units += 1n;
  }
  let s = units.toString().padStart(decimals + 1, '0');
  s = decimals > 0 ? `${s.slice(0, -decimals)}.${s.slice(-decimals)}` : s;
  const withSep = s.replace(/^(\d+)/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, ','));
  return (sign === '-' && /[1-9]/.test(s) ? '-' : '') + withSep;
}

/** Money as the dashboard shows it: rounded to the quote's cents (2 decimals for USD). */
export const QUOTE_DECIMALS_DEFAULT = 2;
