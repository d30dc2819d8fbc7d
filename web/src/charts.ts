/**
 * The dashboard's charts: the shared chart components (src/ui/charts.ts, also inlined in the
 * backtest report) over the bundled lightweight-charts, and the page's chart registry (removed
 * when another page is shown).
 */
import * as LWC from 'lightweight-charts';
import * as shared from '../../src/ui/charts.js';

export type { CandleIn, FillIn } from '../../src/ui/charts.js';

const LC = LWC as unknown as shared.ChartLib;
const charts = new Set<shared.ChartApi>();

/** Removes every chart of the previous page. */
export function disposeCharts(): void {
  for (const c of charts) c.remove();
  charts.clear();
}

export function lineChart(el: HTMLElement, points: shared.PointIn[], color: string, decimals: number): void {
  charts.add(shared.lineChart(LC, el, points, color, decimals));
}

export function candleChart(el: HTMLElement, candles: shared.CandleIn[], fills: shared.FillIn[], priceDecimals: number): void {
  charts.add(shared.candleChart(LC, el, candles, fills, priceDecimals));
}
