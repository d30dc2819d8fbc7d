/**
 * How `warden directives list|show|approve|reject|propose` print for people (scripts use --json):
 * fixed columns, event times in ISO UTC (event time: a bar close, or the book's time when an
 * inbox command was applied), nothing abbreviated that a trader needs to check.
 */
import type { DirectiveList } from './operator.js';
import type { DirectiveRecord } from './directives.js';
import type { Submitted } from './commands.js';

export const isoTime = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function formatList(l: DirectiveList, status: string | undefined): string {
  const policy = l.policy === null ? 'no policy.changed recorded' : `policy ${String(l.policy.version)} (${l.policy.hash}) since seq ${l.policy.seq}`;
  const what = status === undefined ? 'directives' : `${status} directives`;
  let out = `${l.stream}: ${l.total} ${what}; ${policy}\n`;
  if (l.directives.length === 0) return out;
  if (l.directives.length < l.total) out += `(the newest ${l.directives.length}; --limit shows more)\n`;
  const rows = [['ID', 'STATUS', 'TYPE', 'ISSUED BY', 'PROPOSED', 'VERDICT', 'LAST CHANGE']];
  for (const d of l.directives) {
    const last = d.last.seq === d.proposed_seq ? '' : `${isoTime(d.last.time_ms)} ${d.last.by}: ${d.last.reason}${d.last.human_override ? ' (human override)' : ''}`;
    rows.push([d.directive_id, d.status, d.type, d.issued_by, isoTime(d.proposed_ms), d.verdict ?? '-', last]);
  }
  return out + table(rows);
}

export function formatShow(stream: string, d: DirectiveRecord): string {
  const dir = d.directive as {
    role?: unknown; objective?: unknown; scope?: { book?: unknown; symbols?: unknown[] }; budget?: { notional_max?: unknown };
    timebox?: { expires_ms?: unknown }; payload?: unknown; module?: unknown; idempotency_key?: unknown;
  };
  const expires = typeof dir.timebox?.expires_ms === 'number' ? isoTime(dir.timebox.expires_ms) : 'none';
  const lines = [
    `${stream} directive ${d.directive_id}: ${d.type}, status ${d.status}`,
    `issued by ${d.issued_by} (role ${String(dir.role ?? '-')}), proposed at ${isoTime(d.proposed_ms)} (seq ${d.proposed_seq})`,
    `objective: ${String(dir.objective ?? '-')}`,
    `scope: book ${String(dir.scope?.book ?? '-')}, symbols ${(dir.scope?.symbols ?? []).join(', ') || '-'}; module ${String(dir.module ?? '-')}`,
    `budget: notional_max ${String(dir.budget?.notional_max ?? 'none')}; timebox expires ${expires}; idempotency key ${String(dir.idempotency_key ?? '-')}`,
    `payload: ${JSON.stringify(dir.payload ?? null)}`,
    `policy evaluations (${d.evaluations.length}):`,
  ];
  for (const e of d.evaluations) {
    lines.push(`  seq ${e.seq} ${isoTime(e.time_ms)}  ${e.verdict}  policy ${String(e.policy_version)} (${e.policy_hash})  artifact ${e.artifact_hash}`);
    for (const r of e.results) lines.push(`    ${r.rule}: ${r.verdict}: ${r.reason}`);
  }
  lines.push(`history (${d.history.length}):`);
  for (const h of d.history) {
    const extra = `${h.human_override ? ' (human override)' : ''}${h.note === null ? '' : `; note: ${h.note}`}`;
    lines.push(`  seq ${h.seq} ${isoTime(h.time_ms)}  ${h.from} -> ${h.to}  by ${h.by}: ${h.reason}${extra}`);
  }
  lines.push(`execution runs (${d.runs.length}):`);
  for (const r of d.runs) lines.push(`  ${r.run_id} ${r.module}: ${r.status} (${[r.history[0]!.from, ...r.history.map((h) => h.to)].filter((x) => x !== null).join(' -> ')}, last at seq ${r.history[r.history.length - 1]!.seq})`);
  return lines.join('\n') + '\n';
}

/** The outcome line of approve/reject/propose; `status`: the directive's status after the answer. */
export function formatSubmitted(s: Submitted, subject: string, status: string | null, waitMs: number): string {
  const head = `inbox ${s.inbox_id}: ${s.command} ${subject} for ${s.stream}, issued by ${s.issued_by}`;
  if (s.outcome === null && s.runtime === null) return `${head}: recorded; no runtime is running the book: it is applied at its next start\n`;
  if (s.outcome === null) return `${head}: recorded; the runtime (${s.runtime ?? ''}) did not answer within ${waitMs} ms: it applies inbox commands in order (check with warden directives show)\n`;
  const o = s.outcome;
  const at = `at ${isoTime(o.time_ms)} (seq ${o.seq})`;
  if (o.answer === 'rejected') return `${head}: REJECTED by the runtime ${at}: ${o.detail}${status === null ? '' : `; ${subject} is ${status}`}\n`;
  return `${head}: applied ${at}${status === null ? '' : `; ${subject} is now ${status}`}\n`;
}
