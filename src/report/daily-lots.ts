/**
 * Open lots for the daily report (./daily.ts): folded from the book's lot.opened / lot.consumed
 * events only (a typed, paged read up to the end of the day; memory: the open lots), and their
 * unrealized P&L at a mark's closes: qty left x close - (qty left x entry price + entry fee left),
 * the API's definition (src/api/routes/books.ts).
 */
import { Decimal } from '../core/money/index.js';
import type { EventStore } from '../store/event-store.js';
import { DailyReportError, dec, str, type Payload, type Row } from './daily-shared.js';

export const OPEN_LOTS_MAX = 100_000;
const LOT_PAGE = 2000;

interface OpenLot { symbol: string; qty: Decimal; price: Decimal; fee: Decimal }

/** Unrealized P&L of the open lots at the closes of a mark: qty x close - (qty x price + fee left). */
export function unrealizedAt(lots: ReadonlyMap<string, OpenLot>, mark: Row | null): Decimal {
  if (mark === null) return Decimal.ZERO;
  const closes = new Map<string, Decimal>();
  for (const x of Array.isArray(mark.payload.positions) ? mark.payload.positions : []) {
    const o = x as Payload;
    closes.set(str(o.symbol), dec(o.close, 'close'));
  }
  let u = Decimal.ZERO;
  for (const l of lots.values()) {
    const c = closes.get(l.symbol);
    if (c === undefined) continue; // a lot without a mark price (cannot happen: marks value every position)
    u = u.add(l.qty.mul(c)).sub(l.qty.mul(l.price)).sub(l.fee);
  }
  return u;
}

/** Open lots after folding lot events up to seq `a` and up to seq `b` (a <= b), in one typed pass. */
export async function openLotsAt(store: EventStore, stream: string, a: number, b: number): Promise<[Map<string, OpenLot>, Map<string, OpenLot>]> {
  const lots = new Map<string, OpenLot>();
  let atA: Map<string, OpenLot> | null = a <= 0 ? new Map() : null;
  const copy = () => new Map([...lots].map(([k, v]) => [k, { ...v }]));
  outer: for await (const page of store.readTypesPaged(stream, ['lot.opened', 'lot.consumed'], { pageSize: LOT_PAGE })) {
    for (const e of page) {
      if (atA === null && e.seq > a) atA = copy();
      if (e.seq > b) break outer;
      const p = e.payload as Payload;
      if (e.type === 'lot.opened') {
        lots.set(str(p.lot_id), { symbol: str(p.symbol), qty: dec(p.qty, 'lot qty'), price: dec(p.price, 'lot price'), fee: dec(p.fee, 'lot fee') });
        if (lots.size > OPEN_LOTS_MAX) throw new DailyReportError(`${stream}: more than ${OPEN_LOTS_MAX} open lots`, 65);
      } else {
        const l = lots.get(str(p.lot_id));
        if (l === undefined) throw new DailyReportError(`${stream} seq ${e.seq}: lot.consumed of lot ${str(p.lot_id)} that is not open`, 65);
        l.qty = dec(p.qty_left, 'qty_left');
        l.fee = l.fee.sub(dec(p.entry_fee, 'entry_fee'));
        if (l.qty.isZero()) lots.delete(str(p.lot_id));
      }
    }
  }
  return [atA ?? copy(), lots];
}

