/**
 * The chart components shared by the dashboard (web/src/charts.ts, bundled by Vite) and the
 * backtest report (src/report/html.ts inlines this file's compiled JS into its one HTML page):
 * a line (equity, drawdown) and candles with fill markers (buys below the bar, sells above).
 * Self-contained on purpose (no imports): lightweight-charts is passed in as `LC` (the bundled
 * module in the dashboard, window.LightweightCharts in the report), and the types below name only
 * what is used, so the same text runs in both. Charts plot floats; every figure printed elsewhere
 * is the exact decimal text.
 */

/** The part of lightweight-charts used here (v5 API). */
export interface ChartLib {
  createChart(el: unknown, opts: Record<string, unknown>): ChartApi;
  LineSeries: unknown;
  CandlestickSeries: unknown;
  createSeriesMarkers(series: SeriesApi, markers: Marker[]): unknown;
}
export interface ChartApi {
  addSeries(kind: unknown, opts: Record<string, unknown>): SeriesApi;
  timeScale(): { fitContent(): void };
  remove(): void;
}
export interface SeriesApi {
  setData(points: unknown[]): void;
}
/** The element a chart draws into (an HTMLElement). */
export interface ChartHost {
  readonly clientWidth: number;
  readonly dataset: Record<string, string | undefined>;
}
export interface Marker { time: number; position: 'belowBar' | 'aboveBar'; color: string; shape: 'arrowUp' | 'arrowDown'; text: string }

export interface PointIn { time_ms: number; value: string }
export interface CandleIn { open_time_ms: number; open: string; high: string; low: string; close: string }
export interface FillIn { bar_open_time_ms: number; side: string; qty: string; price: string; fill_id: string }

/** Fill markers carry their text only up to this many fills (more would cover the candles). */
export const MARKER_TEXT_FILLS_MAX = 12;

const sec = (ms: number): number => Math.floor(ms / 1000);
const BASE = { height: 260, layout: { background: { color: '#ffffff' }, textColor: '#222', attributionLogo: false }, timeScale: { timeVisible: true }, grid: { vertLines: { color: '#eee' }, horzLines: { color: '#eee' } } };

function chartIn(LC: ChartLib, el: ChartHost, decimals: number): ChartApi {
  return LC.createChart(el, { ...BASE, width: el.clientWidth || 800, autoSize: true, localization: { priceFormatter: (p: number) => p.toFixed(decimals) } });
}

/** Keeps the last point of each second (lightweight-charts needs strictly increasing times). */
export function increasing<T extends { time: number }>(points: T[]): T[] {
  const out: T[] = [];
  for (const p of points) {
    if (out.length > 0 && out[out.length - 1]!.time >= p.time) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}

/** A line of exact decimal values (plotted as floats); `el.dataset.points` = the points given. */
export function lineChart(LC: ChartLib, el: ChartHost, points: PointIn[], color: string, decimals: number): ChartApi {
  const c = chartIn(LC, el, decimals);
  const s = c.addSeries(LC.LineSeries, { color, lineWidth: 2, priceLineVisible: false });
  s.setData(increasing(points.map((p) => ({ time: sec(p.time_ms), value: Number(p.value) }))));
  c.timeScale().fitContent();
  el.dataset.points = String(points.length);
  return c;
}

/** The open time of the candle a time falls in (the last candle opening at or before it), or null before the first. */
export function barOf(opens: readonly number[], time_ms: number): number | null {
  let lo = 0;
  let hi = opens.length - 1;
  let found: number | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (opens[mid]! <= time_ms) {
      found = opens[mid]!;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Candles with a marker per fill on the candle it filled in (a coarser candle of a long report
 * holds several bars: the fill is put on the one that contains its bar). `el.dataset.candles` and
 * `el.dataset.fills` = what was drawn.
 */
export function candleChart(LC: ChartLib, el: ChartHost, candles: CandleIn[], fills: FillIn[], priceDecimals: number): ChartApi {
  const c = chartIn(LC, el, priceDecimals);
  const s = c.addSeries(LC.CandlestickSeries, { upColor: '#2e7d32', downColor: '#c62828', borderVisible: false, wickUpColor: '#2e7d32', wickDownColor: '#c62828' });
  s.setData(candles.map((k) => ({ time: sec(k.open_time_ms), open: Number(k.open), high: Number(k.high), low: Number(k.low), close: Number(k.close) })));
  const opens = candles.map((k) => k.open_time_ms);
  const markers: Marker[] = [];
  for (const f of fills) {
    const bar = barOf(opens, f.bar_open_time_ms);
    if (bar === null) continue;
    const buy = f.side === 'buy';
    markers.push({
      time: sec(bar), position: buy ? 'belowBar' : 'aboveBar', color: buy ? '#1565c0' : '#ef6c00', shape: buy ? 'arrowUp' : 'arrowDown',
      text: fills.length <= MARKER_TEXT_FILLS_MAX ? `${f.side} ${f.qty} @ ${f.price}` : '',
    });
  }
  markers.sort((a, b) => a.time - b.time);
  LC.createSeriesMarkers(s, markers);
  c.timeScale().fitContent();
  el.dataset.candles = String(candles.length);
  el.dataset.fills = String(markers.length);
  return c;
}
