/**
 * Canonical encoding benchmark (printed, not a test): Warden's single-pass validating JCS encoder
 * vs the generic `canonicalize` library on engine-shaped events, and sha256 over the bytes.
 * Usage: npm run build && node dist/bench/canonical.js [EVENTS]
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { canonicalJson } from '../src/core/canonical/index.js';

const N = Number(process.argv[2] ?? 200_000);
const events = Array.from({ length: N }, (_, i) => ({
  payload: {
    symbol: 'BTC/USD', tier: 'normal', drawdown_pct: '1.25', equity: '10234.56',
    bar: { open: '16542.4', high: '16560.1', low: '16530', close: `${16500 + (i % 100)}.5`, volume: '12.3456789', count: 321 },
    positions: [{ symbol: 'BTC/USD', qty: '0.01234567' }],
  },
  seq: i + 1, stream: 'book:main', time_ms: 1_600_000_000_000 + i * 3_600_000, type: 'portfolio.marked',
}));

function measure(name: string, f: (e: (typeof events)[number]) => number): void {
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    let n = 0;
    for (const e of events) n += f(e);
    if (n === 0) throw new Error('nothing encoded');
    best = Math.max(best, (N / (performance.now() - t)) * 1000);
  }
  console.log(`${name.padEnd(34)} ${Math.round(best).toString().padStart(9)} events/s`);
}

console.log(`canonical encoding, ${N} events, node ${process.version} (best of 3)`);
measure('warden canonicalJson', (e) => canonicalJson(e).length);
measure('canonicalize (library)', (e) => canonicalize(e)!.length);
measure('warden canonicalJson + sha256', (e) => createHash('sha256').update(canonicalJson(e)).digest().length);
