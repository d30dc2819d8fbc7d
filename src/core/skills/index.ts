/** Skills: the interface and the built-in registry (id@version -> skill). */
import type { Skill } from './types.js';
import { smaCross } from './sma-cross.js';
import { donchianBreakout } from './donchian-breakout.js';
import { rsiReversion } from './rsi-reversion.js';

export * from './types.js';
export { smaCross, donchianBreakout, rsiReversion };

export const BUILTIN_SKILLS: Readonly<Record<string, Skill<never>>> = {
  'sma-cross@1': smaCross as unknown as Skill<never>,
  'donchian-breakout@1': donchianBreakout as unknown as Skill<never>,
  'rsi-reversion@1': rsiReversion as unknown as Skill<never>,
};
