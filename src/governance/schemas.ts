/**
 * The payload shapes of the governance events, as zod schemas (the contract in
 * prompts/governance-contract.md; the kernel in src/core/governance writes them). The read model
 * parses every event it folds with these, and a misfit is an error naming the seq and the field
 * (parseGovernancePayload). Objects the operator shows as written (the directive) keep unknown
 * keys; the rest are checked field by field.
 */
import { z } from 'zod';
import { DIRECTIVE_STATUSES, RUN_STATUSES, VERDICTS } from './limits.js';
import { DirectiveLogError } from './errors.js';

const directiveId = z.string().regex(/^D[1-9][0-9]{0,15}$/, 'expected a directive id "D<n>"');
const text = z.string().max(10_000);
const decimalText = z.string().regex(/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'expected a decimal string');
const status = z.enum(DIRECTIVE_STATUSES);
const version = z.union([z.string().max(200), z.number().int()]);
const hashText = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest');

export const directiveSchema = z.looseObject({
  directive_id: directiveId,
  issued_by: z.string().min(1).max(200),
  role: text.nullable(),
  type: z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'expected a directive type'),
  objective: text.nullable(),
  scope: z.looseObject({ book: z.string().max(200), symbols: z.array(z.string().max(64)).max(1000) }),
  constraints: z.unknown(),
  success_metrics: z.unknown(),
  budget: z.looseObject({ notional_max: decimalText.nullable() }),
  timebox: z.looseObject({ expires_ms: z.number().int().nonnegative().nullable() }),
  payload: z.unknown(),
  idempotency_key: z.string().max(500),
  module: z.string().max(200).nullable(),
  provenance: z.unknown(),
});

export const PAYLOAD_SCHEMAS = {
  'directive.proposed': z.object({ directive: directiveSchema }),
  'policy.evaluated': z.object({
    directive_id: directiveId,
    policy_version: version,
    policy_hash: z.string().max(200),
    verdict: z.enum(VERDICTS),
    results: z.array(z.object({ rule: z.string().max(200), verdict: z.enum(VERDICTS), reason: text })).max(1000),
    artifact_hash: hashText,
  }),
  'directive.status_changed': z.object({
    directive_id: directiveId,
    from: status,
    to: status,
    by: z.string().min(1).max(200),
    reason: text,
    human_override: z.boolean(),
    note: text.nullable(),
  }),
  'execution.status_changed': z.object({
    run_id: z.string().regex(/^R[1-9][0-9]{0,15}$/, 'expected a run id "R<n>"'),
    directive_id: directiveId,
    module: z.string().min(1).max(200),
    from: z.enum(RUN_STATUSES).nullable(),
    to: z.enum(RUN_STATUSES),
    detail: z.unknown(),
  }),
  'policy.changed': z.object({ version, hash: z.string().max(200), policy: z.unknown(), by: z.string().max(200) }),
  'operator.command_applied': z.looseObject({
    inbox_id: z.number().int().positive(), command: z.string(), issued_by: z.string(), reason: z.string(),
    status_before: z.string(), status_after: z.string(),
  }),
  'operator.command_rejected': z.looseObject({ inbox_id: z.number().int().positive(), command: z.string(), issued_by: z.string(), why: z.string() }),
  'step.started': z.looseObject({ command: z.string(), inbox_id: z.number().int().positive().nullable() }),
} as const;

export type PayloadType = keyof typeof PAYLOAD_SCHEMAS;
export type PayloadOf<T extends PayloadType> = z.infer<(typeof PAYLOAD_SCHEMAS)[T]>;

/** Parses one event's payload, or throws DirectiveLogError naming the seq, the type and the first bad field. */
export function parseGovernancePayload<T extends PayloadType>(stream: string, seq: number, type: T, payload: unknown): PayloadOf<T> {
  const r = PAYLOAD_SCHEMAS[type].safeParse(payload);
  if (r.success) return r.data as PayloadOf<T>;
  const issue = r.error.issues[0]!;
  const field = ['payload', ...issue.path.map(String)].join('.');
  throw new DirectiveLogError(stream, seq, type, `${field}: ${issue.message}`);
}
