/**
 * The operator's governance acts as services over an OperatorPort (the CLI adapters in
 * src/cli/commands/directives.ts only parse options and print): input checks, the read-model
 * pre-checks of approve/reject (a directive that exists and is `proposed`; otherwise a clear
 * error and nothing written), recording the inbox command, and waiting (bounded) for the running
 * runtime's answer. Every human act is an inbox command the runtime applies as a step; nothing
 * here changes a directive.
 */
import type { CanonicalValue } from '../core/canonical/index.js';
import { EXIT } from '../exit-codes.js';
import type { DirectiveRecord } from './directives.js';
import { GovernanceError } from './errors.js';
import { DIRECTIVE_ID_RE, OPERATOR_NAME_RE, TEXT_CHARS_MAX } from './limits.js';
import type { InboxOutcome, OperatorPort } from './operator.js';

/** How often the answer is looked for while waiting (the runtime is woken by NOTIFY or the channel). */
export const ANSWER_POLL_MS = 100;

/** `--as NAME` -> issued_by "operator:NAME"; a usage error (64) naming the rule otherwise. */
export function operatorIssuer(name: string): string {
  if (!OPERATOR_NAME_RE.test(name)) throw new GovernanceError(`--as ${JSON.stringify(name)}: expected 1-64 characters of a-z 0-9 _ . - (e.g. --as alice)`, EXIT.usage);
  return `operator:${name}`;
}

export function checkDirectiveId(id: string): void {
  if (!DIRECTIVE_ID_RE.test(id)) throw new GovernanceError(`directive id ${JSON.stringify(id)}: expected D followed by a number (e.g. D12; see warden directives list)`, EXIT.usage);
}

/** A free text option (--note, --reason, --objective): at most TEXT_CHARS_MAX characters; `required`: not blank. */
export function checkText(option: string, value: string, required: boolean): void {
  if (required && value.trim() === '') throw new GovernanceError(`${option} is empty: say why`, EXIT.usage);
  if (value.length > TEXT_CHARS_MAX) throw new GovernanceError(`${option} is ${value.length} characters (max ${TEXT_CHARS_MAX})`, EXIT.usage);
}

const when = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * The directive `id` of `stream`, if `verb` (approve|reject) may act on it: it exists and is
 * `proposed`. Otherwise a failed check (exit 1) saying what it is and since when.
 */
export async function approvable(port: OperatorPort, stream: string, id: string, verb: 'approve' | 'reject'): Promise<DirectiveRecord> {
  checkDirectiveId(id);
  const d = await port.showDirective(stream, id);
  if (d === null) throw new GovernanceError(`${stream} has no directive ${id} (see warden directives list); nothing was recorded`, EXIT.failure);
  if (d.status !== 'proposed') {
    const expired = d.status === 'blocked' && d.last.reason === 'timebox_expired';
    const what = expired ? `expired (its timebox ran out: blocked at ${when(d.last.time_ms)}, seq ${d.last.seq})` : `${d.status} (${d.last.reason} by ${d.last.by} at ${when(d.last.time_ms)}, seq ${d.last.seq})`;
    throw new GovernanceError(`${stream} directive ${id} is ${what}: only a proposed directive can be ${verb === 'approve' ? 'approved' : 'rejected'}; nothing was recorded`, EXIT.failure);
  }
  return d;
}

/**
 * The directive `id` of `stream`, if it may be retried: it exists and is `blocked`, and not by an
 * expired timebox. Otherwise a failed check (exit 1), nothing recorded. (Whether its timebox ended
 * by the book's market time since is the kernel's check: the runtime rejects such a retry.)
 */
export async function retryable(port: OperatorPort, stream: string, id: string): Promise<DirectiveRecord> {
  checkDirectiveId(id);
  const d = await port.showDirective(stream, id);
  if (d === null) throw new GovernanceError(`${stream} has no directive ${id} (see warden directives list); nothing was recorded`, EXIT.failure);
  if (d.status !== 'blocked') {
    throw new GovernanceError(`${stream} directive ${id} is ${d.status} (${d.last.reason} by ${d.last.by} at ${when(d.last.time_ms)}, seq ${d.last.seq}): only a blocked directive can be retried; nothing was recorded`, EXIT.failure);
  }
  if (d.last.reason === 'timebox_expired') {
    throw new GovernanceError(`${stream} directive ${id} expired (its timebox ran out: blocked at ${when(d.last.time_ms)}, seq ${d.last.seq}): an expired directive cannot be retried, propose it anew; nothing was recorded`, EXIT.failure);
  }
  return d;
}

export interface Submitted {
  inbox_id: number;
  stream: string;
  command: string;
  issued_by: string;
  /** The live writer lease's owner when recorded (a runtime running the book), else null (also when the port holds the store alone). */
  runtime: string | null;
  /** The runtime's answer, or null (no runtime, or none within the wait). */
  outcome: InboxOutcome | null;
  waited_ms: number;
}

/**
 * Records `command` in the inbox of `stream`; then, if a runtime runs the book (a live writer
 * lease, and the port does not hold the store alone), waits up to `waitMs` for its answer (operator.command_applied / _rejected with this
 * inbox id), looking only at events written after the head seen before recording.
 */
export async function submit(port: OperatorPort, stream: string, command: string, payload: CanonicalValue, issuedBy: string, waitMs: number): Promise<Submitted> {
  const before = await port.streamView(stream);
  const { inbox_id } = await port.appendInbox(stream, command, payload, issuedBy);
  const t0 = performance.now();
  const runtime = port.exclusive ? null : before.lease_owner; // a lease left by a killed runtime is not a runtime
  const base = { inbox_id, stream, command, issued_by: issuedBy, runtime };
  if (runtime === null) return { ...base, outcome: null, waited_ms: 0 };
  let after = before.head_seq;
  for (;;) {
    const r = await port.inboxOutcome(stream, inbox_id, after);
    if (r.outcome) return { ...base, outcome: r.outcome, waited_ms: Math.round(performance.now() - t0) };
    after = r.after_seq;
    if (performance.now() - t0 >= waitMs) return { ...base, outcome: null, waited_ms: Math.round(performance.now() - t0) };
    await new Promise((res) => setTimeout(res, ANSWER_POLL_MS));
  }
}
