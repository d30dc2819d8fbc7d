/**
 * A skill's context over a symbol's history without copying the window each tick: `closes` is a
 * view of the history's close column, and `bars` is sliced only if the skill reads it (sma-cross
 * reads closes on every tick and bars only on a cross, for its ATR). Both show exactly the newest
 * `warmup` bars, as a slice would; they are valid during evaluate (the history moves on after).
 * `avg_entry` is computed only if the skill reads it (a division of the lots' basis every tick
 * while holding, which sma-cross never reads). `exactCloses` reads the candles' own decimals, made
 * only when a skill asks (sma-cross, on a float tie).
 */
import type { Decimal } from '../money/decimal.js';
import type { Candle } from '../market/candle.js';
import type { SkillBar, SkillContext, SkillMemory } from '../skills/types.js';
import type { History } from './state.js';

export class WindowContext<P> implements SkillContext<P> {
  readonly closes: Float64Array;
  #h: History;
  #from: number;
  /** The window's end (exclusive), fixed here like `closes`: exactCloses reads the same bars whenever it is called. */
  #to: number;
  #bars: readonly SkillBar[] | undefined = undefined;
  #avg: Decimal | null | undefined = undefined;
  readonly #avgEntry: () => Decimal | null;

  constructor(
    readonly symbol: string,
    readonly params: P,
    h: History,
    warmup: number,
    readonly position_qty: Decimal,
    avgEntry: () => Decimal | null,
    readonly pending_buy: boolean,
    readonly pending_sell: boolean,
    readonly memory: SkillMemory,
  ) {
    const n = h.bars.length;
    this.#h = h;
    this.#avgEntry = avgEntry;
    this.#from = n - warmup;
    this.#to = n;
    this.closes = h.closes.subarray(n - warmup, n);
  }

  get avg_entry(): Decimal | null {
    if (this.#avg === undefined) this.#avg = this.#avgEntry();
    return this.#avg;
  }

  get bars(): readonly SkillBar[] {
    return (this.#bars ??= this.#h.bars.slice(this.#from));
  }

  exactCloses(): readonly Decimal[] {
    const out: Decimal[] = [];
    const candles = this.#h.candles;
    for (let i = this.#from; i < this.#to; i++) out.push((candles[i] as Candle).close);
    return out;
  }
}
