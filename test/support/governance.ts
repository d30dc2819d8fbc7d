/**
 * Synthetic governance events in the contract's shapes (prompts/governance-contract.md), for the
 * operator side's tests before the kernel writes real ones: a test appends them to a book stream
 * with EventStore.append and reads them back through the read model, the channel and the CLI.
 * Times and prices are real: the last three hourly XBT/USD bars of Kraken's full history file
 * (bars opening 2023-01-07 07:00, 08:00 and 09:00 UTC: closing at 08:00, 09:00 and 10:00 at
 * 16943.6, 16935.3 and 16935.3).
 */
import type { NewEvent } from '../../src/core/events/index.js';
import type { CanonicalValue } from '../../src/core/canonical/index.js';

export const BAR_CLOSE_MS = [1673078400000, 1673082000000, 1673085600000] as const;
export const BTC_CLOSE = ['16943.6', '16935.3', '16935.3'] as const;
export const POLICY_HASH = 'a'.repeat(64);

export function proposed(id: string, time_ms: number, over: Record<string, CanonicalValue> = {}): NewEvent {
  return {
    type: 'directive.proposed', time_ms,
    payload: {
      directive: {
        directive_id: id, issued_by: 'skill:sma-cross@1', role: 'strategy', type: 'order.open', objective: 'enter BTC/USD on the SMA(10/30) cross',
        scope: { book: 'main', symbols: ['BTC/USD'] }, constraints: {}, success_metrics: {}, budget: { notional_max: '1000' },
        timebox: { expires_ms: time_ms + 3 * 3_600_000 }, payload: { symbol: 'BTC/USD', side: 'buy', qty: '0.05', ref_price: BTC_CLOSE[0] },
        idempotency_key: `main:${id}`, module: 'paper.order', provenance: { skill: 'sma-cross@1' }, ...over,
      },
    },
  };
}

export function evaluated(id: string, time_ms: number, verdict: 'ALLOW' | 'BLOCK' | 'NEEDS_APPROVAL', artifact = 'b'.repeat(64)): NewEvent {
  return {
    type: 'policy.evaluated', time_ms,
    payload: {
      directive_id: id, policy_version: 'test-3', policy_hash: POLICY_HASH, verdict, artifact_hash: artifact, qty_allowed: verdict === 'BLOCK' ? null : '0.05',
      results: [
        { rule: 'budget.per_directive', verdict: 'ALLOW', reason: 'notional 847.18 <= 1000' },
        { rule: 'approval.notional_above', verdict, reason: verdict === 'NEEDS_APPROVAL' ? 'notional 847.18 > 500: a human approves' : 'below the approval threshold' },
      ],
    },
  };
}

export function statusChanged(id: string, time_ms: number, from: string, to: string, by: string, reason: string, human_override = false, note: string | null = null): NewEvent {
  return { type: 'directive.status_changed', time_ms, payload: { directive_id: id, from, to, by, reason, human_override, note } };
}

export function runChanged(runId: string, id: string, time_ms: number, from: string, to: string, detail = ''): NewEvent {
  return { type: 'execution.status_changed', time_ms, payload: { run_id: runId, directive_id: id, module: 'paper.order', from, to, idempotency_key: `signal:${id}`, detail, committed: to === 'completed' ? '847.18' : null } };
}

/** Noise between governance events: what a trading step writes (not read by the read model). */
export function noise(time_ms: number, close: string): NewEvent {
  return { type: 'mark.recorded', time_ms, payload: { cash: '10000', equity: '10000', close } };
}

/**
 * A small book history: D1 proposed, needs approval, approved by operator:alice with a note
 * (human override), executed and complete; D2 proposed and waiting (NEEDS_APPROVAL); D3 blocked
 * by policy; with non-governance events between them.
 */
export function sampleHistory(): NewEvent[] {
  const [t0, t1, t2] = BAR_CLOSE_MS;
  return [
    noise(t0, BTC_CLOSE[0]),
    proposed('D1', t0),
    evaluated('D1', t0, 'NEEDS_APPROVAL'),
    noise(t1, BTC_CLOSE[1]),
    statusChanged('D1', t1, 'proposed', 'approved', 'operator:alice', 'approved', true, 'checked the spread'),
    statusChanged('D1', t1, 'approved', 'executing', 'orchestrator', 'run R1 started'),
    runChanged('R1', 'D1', t1, 'pending', 'running'),
    proposed('D2', t1, { type: 'risk.tier.reset', objective: 'lift reducing-only', module: 'book.control' }),
    evaluated('D2', t1, 'NEEDS_APPROVAL'),
    noise(t2, BTC_CLOSE[2]),
    runChanged('R1', 'D1', t2, 'running', 'completed', 'SUCCESS: order placed on the paper plane'),
    statusChanged('D1', t2, 'executing', 'complete', 'orchestrator', 'run R1 completed'),
    proposed('D3', t2),
    evaluated('D3', t2, 'BLOCK'),
    statusChanged('D3', t2, 'proposed', 'blocked', 'policy', 'BLOCK: scope.symbols (policy v3)'),
  ];
}
