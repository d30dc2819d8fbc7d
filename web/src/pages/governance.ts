/**
 * Governance: directives waiting for a human (with the exact CLI command that approves each: the
 * dashboard itself approves nothing) and the history of every directive with its policy verdicts
 * and reasons. Empty until books record directives.
 */
import { get } from '../api.js';
import { badge, h, table, utc } from '../format.js';

interface Directive {
  stream: string; directive_id: string; type: string | null; objective: string | null; issued_by: string | null; status: string; proposed_ms: number; updated_ms: number;
  approve_command: string | null;
  evaluations: Array<{ verdict: string; policy_version: unknown; results: Array<{ rule: string; verdict: string; reason: string }> }>;
  history: Array<{ from: string; to: string; by: string; reason: string; human_override: boolean; time_ms: number }>;
}

const reasons = (d: Directive): string => {
  const e = d.evaluations[d.evaluations.length - 1];
  if (!e) return '-';
  const r = e.results.map((x) => `${x.rule}: ${x.verdict} (${x.reason})`).join('; ');
  return `${e.verdict}${r ? ` - ${r}` : ''}`;
};

export async function governance(main: HTMLElement): Promise<void> {
  const waiting = await get<{ directives: Directive[] }>('/api/directives?status=proposed&limit=1000');
  const all = await get<{ directives: Directive[] }>('/api/directives?limit=1000');
  main.append(h('h1', {}, 'Governance'));
  main.append(h('p', {}, 'This page has no authority. To approve or reject, run the command shown in a terminal (warden directives approve|reject).'));
  main.append(table('waiting', `Waiting for approval (${waiting.directives.length})`, ['Directive', 'Book', 'Type', 'Objective', 'Issued by', 'Proposed', 'Policy', 'Approve with'],
    waiting.directives.map((d) => [d.directive_id, d.stream, d.type ?? '-', d.objective ?? '-', d.issued_by ?? '-', utc(d.proposed_ms), reasons(d),
      d.approve_command ? h('code', { class: 'cli' }, d.approve_command) : 'a finished backtest: nothing runs it'])));
  main.append(table('history', `All directives (${all.directives.length})`, ['Directive', 'Book', 'Type', 'Status', 'Policy', 'Status changes'],
    all.directives.map((d) => [d.directive_id, d.stream, d.type ?? '-', badge(d.status.toUpperCase(), d.status), reasons(d),
      d.history.map((x) => `${x.from}->${x.to} by ${x.by}${x.human_override ? ' (human override)' : ''}${x.reason ? `: ${x.reason}` : ''}`).join('; ') || '-'])));
}
