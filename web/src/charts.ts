/**
 * The dashboard's charts (lightweight-charts, bundled): equity and drawdown lines from the
 * downsampled marks, candles with fill markers (buys below the bar, sells above). Charts plot
 * floats; every figure printed elsewhere is the exact decimal text.
 */
import { CandlestickSeries, createChart, createSeriesMarkers, LineSeries, type IChartApi, type SeriesMarker, type Time, type UTCTimestamp } from 'lightweight-charts';

const t = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;
const base = { height: 260, layout: { background: { color: '#ffffff' }, textColor: '#222' }, timeScale: { timeVisible: true }, grid: { vertLines: { color: '#eee' }, horzLines: { color: '#eee' } } };
const charts = new Set<IChartApi>();

/** Removes every chart of the previous page. */
export function disposeCharts(): void {
  for (const c of charts) c.remove();
  charts.clear();
}

function chartIn(el: HTMLElement, decimals: number): IChartApi {
  const c = createChart(el, { ...base, width: el.clientWidth || 800, autoSize: true, localization: { priceFormatter: (p: number) => p.toFixed(decimals) } });
  charts.add(c);
  return c;
}

/** Drops points with the same second (lightweight-charts needs strictly increasing times). */
function increasing<T extends { time: UTCTimestamp }>(points: T[]): T[] {
  const out: T[] = [];
  for (const p of points) {
    if (out.length > 0 && out[out.length - 1]!.time >= p.time) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}

export function lineChart(el: HTMLElement, points: Array<{ time_ms: number; value: string }>, color: string, decimals: number): void {
  const c = chartIn(el, decimals);
  const s = c.addSeries(LineSeries, { color, lineWidth: 2, priceLineVisible: false });
  s.setData(increasing(points.map((p) => ({ time: t(p.time_ms), value: Number(p.value) }))));
  c.timeScale().fitContent();
  el.dataset.points = String(points.length);
}

export interface CandleIn { open_time_ms: number; open: string; high: string; low: string; close: string }
export interface FillIn { bar_open_time_ms: number; side: string; qty: string; price: string; fill_id: string }

export function candleChart(el: HTMLElement, candles: CandleIn[], fills: FillIn[], priceDecimals: number): void {
  const c = chartIn(el, priceDecimals);
  const s = c.addSeries(CandlestickSeries, { upColor: '#2e7d32', downColor: '#c62828', borderVisible: false, wickUpColor: '#2e7d32', wickDownColor: '#c62828' });
  s.setData(candles.map((k) => ({ time: t(k.open_time_ms), open: Number(k.open), high: Number(k.high), low: Number(k.low), close: Number(k.close) })));
  const markers: SeriesMarker<Time>[] = fills.map((f) => ({
    time: t(f.bar_open_time_ms), position: f.side === 'buy' ? 'belowBar' : 'aboveBar', color: f.side === 'buy' ? '#1565c0' : '#ef6c00',
    shape: f.side === 'buy' ? 'arrowUp' : 'arrowDown', text: fills.length <= 12 ? `${f.side} ${f.qty} @ ${f.price}` : '',
  }));
  markers.sort((a, b) => Number(a.time) - Number(b.time));
  createSeriesMarkers(s, markers);
  c.timeScale().fitContent();
  el.dataset.candles = String(candles.length);
  el.dataset.fills = String(fills.length);
}
