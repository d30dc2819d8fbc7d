/**
 * The payloads of the governance events, read with the kernel's own codecs (src/core/book/codecs.ts):
 * one contract, so the operator side can never accept a shape the kernel would not write. A misfit
 * is an error naming the seq, the type and the field (DirectiveLogError).
 */
import { decodeEvent, EventCodecError, type EventPayloads } from '../core/book/index.js';
import type { CanonicalValue } from '../core/canonical/index.js';
import { DirectiveLogError } from './errors.js';
import { DIRECTIVE_ID_RE } from './limits.js';

export type PayloadType = 'directive.proposed' | 'policy.evaluated' | 'directive.status_changed' | 'execution.status_changed' | 'policy.changed' |
  'operator.command_applied' | 'operator.command_rejected' | 'step.started';
export type PayloadOf<T extends PayloadType> = EventPayloads[T];

/** Decodes one event's payload, or throws DirectiveLogError naming the seq, the type and the first bad field. */
export function parseGovernancePayload<T extends PayloadType>(stream: string, seq: number, type: T, payload: unknown): PayloadOf<T> {
  try {
    const p = decodeEvent({ type, time_ms: 0, payload: payload as CanonicalValue }).payload as PayloadOf<T>;
    if (type === 'directive.proposed' && !DIRECTIVE_ID_RE.test((p as PayloadOf<'directive.proposed'>).directive.directive_id)) {
      throw new DirectiveLogError(stream, seq, type, 'payload.directive.directive_id: expected a directive id "D<n>"');
    }
    return p;
  } catch (e) {
    if (e instanceof EventCodecError) throw new DirectiveLogError(stream, seq, type, e.message.replace(`${type}.payload`, 'payload'));
    throw e;
  }
}
