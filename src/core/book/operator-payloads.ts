/**
 * The payloads of the governance inbox commands, checked before anything is written (a malformed
 * command is answered with operator.command_rejected naming the field and what was expected):
 *   directive.propose  {type, objective?, payload?, symbols?, timebox_bars?}
 *   directive.approve  {directive_id, note?}
 *   directive.reject   {directive_id, reason}
 *   directive.retry    {directive_id, note?}   (a blocked directive back to proposed)
 * A proposal's payload is checked by type (policy.change: a valid policy; skill.*: a skill of
 * this book; module.run: a drill module; book.flatten: symbols the book trades).
 */
import type { CanonicalValue } from '../canonical/index.js';
import { OPERATOR_DIRECTIVE_TYPES, PolicyError, TIMEBOX_BARS_MAX, resolvePolicy, type DirectiveType, type ModuleName } from '../governance/index.js';
import type { ResolvedBook } from './config.js';
import { resolveRiskProfile, riskOverridesSchema } from '../risk/profile.js';
import { REASON_CHARS_MAX } from './limits.js';

export type GovernancePayload =
  | { kind: 'propose'; type: DirectiveType; objective: string; payload: CanonicalValue; symbols: string[]; timebox_bars: number | null; module: ModuleName | undefined }
  | { kind: 'approve'; directive_id: string; note: string | null }
  | { kind: 'reject'; directive_id: string; reason: string }
  | { kind: 'retry'; directive_id: string; note: string | null };

type Obj = { readonly [k: string]: CanonicalValue };
const DRILL_MODULES: readonly ModuleName[] = ['noop', 'echo', 'fail_intentionally'];
const DIRECTIVE_ID_RE = /^D[1-9][0-9]{0,15}$/;

function text(o: Obj, key: string, required: boolean): string | null | { rejected: string } {
  const v = o[key];
  if (v === undefined || v === null) return required ? { rejected: `${key} is required` } : null;
  if (typeof v !== 'string') return { rejected: `${key} must be a string` };
  if (v.length > REASON_CHARS_MAX) return { rejected: `${key} is ${v.length} characters (max ${REASON_CHARS_MAX})` };
  if (required && v.trim() === '') return { rejected: `${key} is empty` };
  return v;
}

export function parseGovernancePayload(command: string, payload: CanonicalValue, book: ResolvedBook): GovernancePayload | { rejected: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { rejected: 'payload must be an object' };
  const o = payload as Obj;
  const allowed = command === 'directive.propose' ? ['type', 'objective', 'payload', 'symbols', 'timebox_bars'] : command === 'directive.reject' ? ['directive_id', 'reason'] : ['directive_id', 'note'];
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length > 0) return { rejected: `unknown payload field(s) ${extra.sort().join(', ')} (expected ${allowed.join(', ')})` };
  if (command !== 'directive.propose') {
    const id = o.directive_id;
    if (typeof id !== 'string' || !DIRECTIVE_ID_RE.test(id)) return { rejected: `directive_id must look like "D12", got ${JSON.stringify(id ?? null)}` };
    if (command === 'directive.approve' || command === 'directive.retry') {
      const note = text(o, 'note', false);
      return note !== null && typeof note === 'object' ? note : { kind: command === 'directive.approve' ? 'approve' : 'retry', directive_id: id, note };
    }
    const reason = text(o, 'reason', true);
    return typeof reason === 'object' && reason !== null ? reason : { kind: 'reject', directive_id: id, reason: reason as string };
  }
  const type = o.type;
  if (typeof type !== 'string' || !(OPERATOR_DIRECTIVE_TYPES as readonly string[]).includes(type)) {
    return { rejected: `type must be one of ${OPERATOR_DIRECTIVE_TYPES.join(', ')} (orders come from skills), got ${JSON.stringify(type ?? null)}` };
  }
  const objective = text(o, 'objective', false);
  if (objective !== null && typeof objective === 'object') return objective;
  let symbols: string[] = [];
  if (o.symbols !== undefined && o.symbols !== null) {
    if (!Array.isArray(o.symbols) || o.symbols.some((x) => typeof x !== 'string' || !book.symbols.includes(x))) {
      return { rejected: `symbols must be symbols this book trades (${book.symbols.join(', ')})` };
    }
    symbols = [...new Set(o.symbols as string[])].sort();
  }
  let timebox: number | null = null;
  if (o.timebox_bars !== undefined && o.timebox_bars !== null) {
    const t = o.timebox_bars;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 1 || t > TIMEBOX_BARS_MAX) return { rejected: `timebox_bars must be an integer 1..${TIMEBOX_BARS_MAX}` };
    timebox = t;
  }
  const inner = (o.payload ?? null) as CanonicalValue;
  const p = (inner ?? {}) as Obj;
  if (inner !== null && (typeof inner !== 'object' || Array.isArray(inner))) return { rejected: 'payload must be an object' };
  let module: ModuleName | undefined;
  switch (type as DirectiveType) {
    case 'policy.change':
      try {
        resolvePolicy(p.policy, 'payload.policy');
      } catch (e) {
        return { rejected: e instanceof PolicyError ? e.message : `payload.policy: ${(e as Error).message}` };
      }
      break;
    case 'skill.activate':
    case 'skill.deactivate':
    case 'skill.deprecate':
    case 'skill.remove': {
      const keys = book.skills.map((b) => b.key);
      if (typeof p.skill !== 'string' || !keys.includes(p.skill)) return { rejected: `payload.skill must be a skill of this book (${keys.join(', ')}), got ${JSON.stringify(p.skill ?? null)}` };
      break;
    }
    case 'risk.profile.change': {
      if (typeof p.profile !== 'string') return { rejected: 'payload.profile must name a risk profile, e.g. "default@1"' };
      const o = riskOverridesSchema.safeParse(p.overrides ?? {});
      if (!o.success) return { rejected: `payload.overrides: ${o.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
      try {
        resolveRiskProfile(p.profile, o.data);
      } catch (e) {
        return { rejected: `payload: ${(e as Error).message}` };
      }
      break;
    }
    case 'module.run':
      if (typeof p.module !== 'string' || !(DRILL_MODULES as readonly string[]).includes(p.module)) return { rejected: `payload.module must be one of ${DRILL_MODULES.join(', ')}` };
      module = p.module as ModuleName;
      break;
    case 'book.flatten':
      if (p.symbols !== undefined) return { rejected: 'book.flatten takes its symbols in the proposal\'s symbols, not in payload' };
      break;
    default:
      break;
  }
  const payloadOut: CanonicalValue = type === 'book.flatten' ? (symbols.length > 0 ? { symbols } : null) : inner;
  return { kind: 'propose', type: type as DirectiveType, objective: (objective as string | null) ?? type, payload: payloadOut, symbols, timebox_bars: timebox, module };
}
