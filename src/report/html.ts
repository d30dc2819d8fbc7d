/**
 * Renders the backtest report as ONE self-contained HTML page: CSS, the lightweight-charts
 * standalone build, the dashboard's own chart components (src/ui/charts.ts: equity, drawdown,
 * and per symbol the price candles with fill markers) and the chart data are inlined, so the page
 * opens from file:// with no network at all. Every figure comes from the exact decimal text of
 * the run's summary and events; money is shown as in the dashboard (rounded half-even to the
 * quote's cents by src/ui/decimal-text.ts, the exact text on hover); the charts alone plot floats.
 * The output depends only on its inputs (no clock): the same run renders byte-identical HTML.
 */
import type { BacktestSummary } from '../backtest/summary.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatUtc } from '../core/market/time.js';
import type { ReportModel, ReportTrade } from './model.js';
import { ReportError } from './model.js';
import { fileURLToPath } from 'node:url';
import { QUOTE_DECIMALS_DEFAULT, roundText } from '../ui/decimal-text.js';

/** The figures of a run's summary the page shows: the backtest summary less its tick count. */
export type ReportSummary = Omit<BacktestSummary, 'ticks'>;

export interface ReportMeta {
  readonly book_id: string;
  readonly config_hash: string;
  readonly initial_cash: string;
  readonly symbols: readonly string[];
  /** Where the events live if the run was persisted (a stream name), else null. */
  readonly stream: string | null;
  /** Money is shown rounded to this many decimals (the quote's cents: 2, the default), exact on hover. */
  readonly quote_decimals?: number;
}

const LIB_FILE = 'dist/lightweight-charts.standalone.production.js';
let libCache: string | undefined;

/** The lightweight-charts standalone build (defines window.LightweightCharts), read from node_modules. */
export function chartLibrarySource(): string {
  if (libCache !== undefined) return libCache;
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = join(dirname(require.resolve('lightweight-charts/package.json')), LIB_FILE);
  } catch (e) {
    throw new ReportError(`the report needs the lightweight-charts package (npm ci): ${(e as Error).message}`);
  }
  const src = readFileSync(file, 'utf8');
  if (/<\/script/i.test(src)) throw new ReportError(`${file} contains "</script": it cannot be inlined safely`);
  libCache = src;
  return src;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON safe inside <script>: no "<" can close the element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const utc = (ms: number): string => formatUtc(ms).replace('T', ' ').replace(/:00Z$/, 'Z');
const signClass = (d: string): string => (d.startsWith('-') ? 'neg' : d === '0' ? '' : 'pos');

function tradeRow(t: ReportTrade, i: number, qd: number): string {
  return `<tr><td>${i + 1}</td><td>${escapeHtml(t.trade_id)}</td><td>${utc(t.entry_ms)}</td><td>${utc(t.exit_ms)}</td><td>${escapeHtml(t.symbol)}</td>` +
    `<td class="num">${t.qty}</td><td class="num">${t.entry_price}</td><td class="num">${t.exit_price}</td>` +
    `<td class="num ${signClass(t.pnl)}">${money(t.pnl, qd)}</td><td class="num">${money(t.fees, qd)}</td><td>${escapeHtml(t.skill)}</td></tr>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.sub{color:#5b6575;font-size:12.5px;word-break:break-all}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin-top:16px}
.fig{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px 12px}
.fig .k{color:#5b6575;font-size:12px}.fig .v{font-size:16px;font-variant-numeric:tabular-nums;word-break:break-all}
.chart{background:#fff;border:1px solid #dde1e7;border-radius:6px;height:320px}
.chart.small{height:200px}
span.num{cursor:help}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e7;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #eceff3;text-align:left;white-space:nowrap}
th{background:#eef1f5;position:sticky;top:0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.pos{color:#0a7a3d}.neg{color:#b42318}
.scroll{max-height:560px;overflow:auto;border-radius:6px}
.note{color:#5b6575;font-size:12px;margin-top:6px}
`;

/**
 * The shared chart components (src/ui/charts.ts, the dashboard's own) as compiled next to this
 * file, inlined in a module script; then the page's charts. window.LightweightCharts is the
 * standalone build inlined before it.
 */
let chartsCache: string | undefined;
export function sharedChartsSource(): string {
  if (chartsCache !== undefined) return chartsCache;
  const file = fileURLToPath(new URL('../ui/charts.js', import.meta.url));
  let src: string;
  try {
    src = readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  } catch (e) {
    throw new ReportError(`the report needs the compiled chart components ${file} (npm run build): ${(e as Error).message}`);
  }
  if (/<\/script/i.test(src) || /^\s*import\s/m.test(src)) throw new ReportError(`${file} cannot be inlined (an import, or "</script")`);
  chartsCache = src;
  return src;
}

const INIT_JS = `
const data = JSON.parse(document.getElementById('report-data').textContent);
const LC = window.LightweightCharts;
const el = (id) => document.getElementById(id);
lineChart(LC, el('equity-chart'), data.equity, '#1f5fbf', data.quote_decimals);
lineChart(LC, el('drawdown-chart'), data.drawdown, '#b42318', 2);
data.prices.forEach((p, i) => candleChart(LC, el('price-chart-' + i), p.candles, p.fills, p.decimals));
document.body.setAttribute('data-charts', 'ready');
`;

/** Money as in the dashboard: rounded half-even to the quote's cents, the exact text on hover. */
function money(exact: string, decimals: number): string {
  return `<span class="num" title="${escapeHtml(exact)}" data-exact="${escapeHtml(exact)}">${escapeHtml(roundText(exact, decimals))}</span>`;
}

/** Decimals of the price chart's axis: the most any close of the symbol has (at most 8). */
function priceDecimals(candles: readonly { close: string }[]): number {
  let d = 0;
  for (const c of candles) d = Math.max(d, (c.close.split('.')[1] ?? '').length);
  return Math.min(d, 8);
}

/** The whole page. */
export function renderReportHtml(meta: ReportMeta, summary: ReportSummary, model: ReportModel): string {
  const first = model.equity[0];
  const last = model.equity[model.equity.length - 1];
  const period = first && last ? `${utc(first.time_ms)} to ${utc(last.time_ms)} (bar closes)` : 'no bars';
  const qd = meta.quote_decimals ?? QUOTE_DECIMALS_DEFAULT;
  const figures: [string, string][] = [
    ['initial cash', money(meta.initial_cash, qd)], ['final equity', money(summary.final_equity, qd)], ['net P&L', money(summary.net_pnl, qd)], ['fees', money(summary.fees, qd)],
    ['final cash', money(summary.final_cash, qd)], ['max drawdown %', money(summary.max_drawdown_pct, 2)], ['sharpe (annualized)', escapeHtml(summary.sharpe)],
    ['exposure %', money(summary.exposure_pct, 2)], ['bars', String(summary.bars)], ['fills', String(summary.fills)],
    ['trades closed', String(summary.trades_closed)], ['trades open', String(summary.trades_open)],
  ];
  const prices = model.candles.map((c) => ({
    symbol: c.symbol, decimals: priceDecimals(c.candles), candles: c.candles,
    fills: model.fills.filter((f) => f.symbol === c.symbol).map((f) => ({ bar_open_time_ms: f.bar_open_time_ms, side: f.side, qty: f.qty, price: f.price, fill_id: f.fill_id })),
  }));
  const data = { quote_decimals: qd, equity: model.equity, drawdown: model.drawdown, prices };
  const skills = model.skills.map((s) =>
    `<tr><td>${escapeHtml(s.skill)}</td><td class="num">${s.trades}</td><td class="num">${s.wins}</td><td class="num">${s.win_rate_pct}</td>` +
    `<td class="num ${signClass(s.net_pnl)}">${money(s.net_pnl, qd)}</td><td class="num">${money(s.fees, qd)}</td></tr>`).join('\n');
  const priceSections = prices.map((p, i) =>
    `<h2>${escapeHtml(p.symbol)}: price with fills</h2>\n<div class="chart" id="price-chart-${i}" data-symbol="${escapeHtml(p.symbol)}"></div>`).join('\n');
  const candleNote = model.fills_total > model.fills.length ? ` Only the first ${model.fills.length} of ${model.fills_total} fills are marked.` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>Warden backtest: ${escapeHtml(meta.book_id)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>Backtest: ${escapeHtml(meta.book_id)}</h1>
<div class="sub">${escapeHtml(meta.symbols.join(', '))} &middot; ${escapeHtml(period)} &middot; simulated (paper): no order was placed</div>
<div class="sub">config ${escapeHtml(meta.config_hash)} &middot; fingerprint ${escapeHtml(summary.fingerprint)} &middot; state hash ${escapeHtml(summary.state_hash)}${meta.stream === null ? '' : ` &middot; stream ${escapeHtml(meta.stream)}`}</div>
<section class="grid" id="summary">
${figures.map(([k, v]) => `<div class="fig"><div class="k">${escapeHtml(k)}</div><div class="v">${v}</div></div>`).join('\n')}
</section>
<h2>Equity</h2>
<div class="chart" id="equity-chart"></div>
<h2>Drawdown from peak (%)</h2>
<div class="chart small" id="drawdown-chart"></div>
${priceSections}
<div class="note">Candles as recorded by the run (bar.closed); a long run merges neighbouring bars into one candle (exact open, high, low, close). Buys are marked below the bar, sells above.${candleNote} Money is rounded to cents; hover a figure for its exact value.</div>
<h2>Per skill</h2>
<table id="skills"><thead><tr><th>skill</th><th class="num">trades</th><th class="num">wins</th><th class="num">win rate %</th><th class="num">net P&amp;L</th><th class="num">fees</th></tr></thead>
<tbody>
${skills}
</tbody></table>
<div class="note">A trade is flat to flat; it belongs to the skill whose signal opened it. P&amp;L is net of entry and exit fees; a win is a trade with P&amp;L &gt; 0.</div>
<h2>Closed trades (${model.trades_total}${model.trades_total > model.trades.length ? `; the first ${model.trades.length} listed` : ''})</h2>
<div class="scroll"><table id="trades"><thead><tr><th>#</th><th>trade</th><th>entry (UTC)</th><th>exit (UTC)</th><th>symbol</th><th class="num">qty</th><th class="num">entry price</th><th class="num">exit price</th><th class="num">P&amp;L</th><th class="num">fees</th><th>skill</th></tr></thead>
<tbody>
${model.trades.map((t, i) => tradeRow(t, i, qd)).join('\n')}
</tbody></table></div>
<div class="note">Entry and exit prices are quantity-weighted averages of the trade's fills (rounded half-even to 8 decimals); quantities, P&amp;L and fees are exact.</div>
</main>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${chartLibrarySource()}</script>
<script type="module">${sharedChartsSource()}\n${INIT_JS}</script>
</body>
</html>
`;
}
