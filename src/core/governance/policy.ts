/**
 * The policy engine: pure, versioned, deterministic. A policy document (JSON, in the book config
 * under governance.policy, or proposed later by a policy.change directive that itself needs
 * approval) is resolved once into a ResolvedPolicy with its version and hash; every evaluation
 * records both, so a verdict can always be traced to the exact rules that gave it.
 *
 * evaluate(policy, directive, facts) runs the rules in a fixed order and returns ONE verdict:
 *   BLOCK           the first rule that blocks (its name and reason), or
 *   NEEDS_APPROVAL  no rule blocks but an approval rule matches (a named human must approve), or
 *   ALLOW.
 * Rules: scope (books, symbols), module allowlist, budget ceilings (notional per directive and
 * per UTC day of event time, counted on risk-increasing orders), the risk checks of the book's risk
 * profile (given as facts: they are policies of this engine, not a second gate), then the approval
 * rules (directive types, notional above a threshold, issuer patterns).
 */
import { z } from '../zod.js';
import { canonicalBytes, type CanonicalValue } from '../canonical/index.js';
import { sha256, toHex } from '../canonical/hash.js';
import { Decimal } from '../money/decimal.js';
import { DIRECTIVE_TYPES, type Directive, type DirectiveType } from './directive.js';
import { MODULE_NAMES } from './modules.js';

export const VERDICTS = ['ALLOW', 'BLOCK', 'NEEDS_APPROVAL'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface RuleResult {
  readonly rule: string;
  readonly verdict: Verdict;
  readonly reason: string;
}

/** Limits. */
export const POLICY_PATTERNS_MAX = 64;
export const TIMEBOX_BARS_MAX = 10_000;

const dec = z.string().regex(/^(0|[1-9][0-9]{0,15})(\.[0-9]{1,12})?$/, 'a non-negative decimal string like "10000" or "0.5"');
const pattern = z.string().regex(/^[a-z0-9*][a-z0-9_.:@*/-]{0,63}$/i, 'a name or a glob with * (e.g. "analyst:*")');
const symbol = z.string().regex(/^[A-Z0-9]{2,10}\/[A-Z0-9]{2,10}$/, 'a symbol like "BTC/USD"');

/** Types that need a named human by default: they change the rules the book trades by. */
export const APPROVAL_TYPES_DEFAULT: readonly DirectiveType[] = ['risk.profile.change', 'risk.tier.reset', 'skill.activate', 'epoch.auto.enable', 'policy.change'];

export const policySchema = z.strictObject({
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'a version name like "2026-12-01.1"'),
  budget: z.strictObject({
    notional_per_directive_max: dec.nullable().default(null),
    notional_per_day_max: dec.nullable().default(null),
  }).default({ notional_per_directive_max: null, notional_per_day_max: null }),
  modules_allowed: z.array(z.enum(MODULE_NAMES)).max(MODULE_NAMES.length).default([...MODULE_NAMES]),
  scope: z.strictObject({
    books: z.array(pattern).min(1).max(POLICY_PATTERNS_MAX).default(['*']),
    /** null = every symbol the book trades. */
    symbols: z.array(symbol).max(POLICY_PATTERNS_MAX).nullable().default(null),
  }).default({ books: ['*'], symbols: null }),
  approval: z.strictObject({
    types: z.array(z.enum(DIRECTIVE_TYPES)).max(DIRECTIVE_TYPES.length).default([...APPROVAL_TYPES_DEFAULT]),
    /** Orders whose notional is above this need approval; null = none by size. */
    notional_above: dec.nullable().default(null),
    issuers: z.array(pattern).max(POLICY_PATTERNS_MAX).default([]),
    /** How long a directive may wait for approval, in bars of the book's timeframe (event time). */
    timebox_bars: z.number().int().min(1).max(TIMEBOX_BARS_MAX).default(24),
  }).default({ types: [...APPROVAL_TYPES_DEFAULT], notional_above: null, issuers: [], timebox_bars: 24 }),
});
export type PolicyDoc = z.output<typeof policySchema>;

export interface ResolvedPolicy {
  readonly doc: PolicyDoc;
  /** The document with defaults filled in, as canonical JSON (recorded in policy.changed). */
  readonly json: CanonicalValue;
  readonly version: string;
  /** sha256 hex of the canonical document. */
  readonly hash: string;
  readonly per_directive_max: Decimal | null;
  readonly per_day_max: Decimal | null;
  readonly notional_above: Decimal | null;
}

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

export function resolvePolicy(input: unknown, where = 'policy'): ResolvedPolicy {
  const r = policySchema.safeParse(input);
  if (!r.success) throw new PolicyError(r.error.issues.map((i) => `${where}.${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  const doc = r.data;
  const json = JSON.parse(JSON.stringify(doc)) as CanonicalValue;
  const d = (x: string | null) => (x === null ? null : Decimal.parse(x));
  return {
    doc, json, version: doc.version, hash: toHex(sha256(canonicalBytes(json))),
    per_directive_max: d(doc.budget.notional_per_directive_max), per_day_max: d(doc.budget.notional_per_day_max), notional_above: d(doc.approval.notional_above),
  };
}

/** The policy of a book whose config has none: everything in scope, no budget ceiling, approval for the rule-changing types. */
export const DEFAULT_POLICY: ResolvedPolicy = resolvePolicy({ version: 'default-1' });

/** A glob with `*` (any run of characters) matched against the whole name. */
export function globMatch(glob: string, name: string): boolean {
  const parts = glob.split('*');
  if (parts.length === 1) return glob === name;
  if (!name.startsWith(parts[0] as string) || !name.endsWith(parts[parts.length - 1] as string)) return false;
  let at = (parts[0] as string).length;
  const end = name.length - (parts[parts.length - 1] as string).length;
  for (let i = 1; i < parts.length - 1; i++) {
    const k = name.indexOf(parts[i] as string, at);
    if (k < 0 || k + (parts[i] as string).length > end) return false;
    at = k + (parts[i] as string).length;
  }
  return at <= end;
}

/** What the book knows at evaluation time. */
export interface PolicyFacts {
  readonly book_id: string;
  /** Notional the directive would commit (risk-increasing orders), else null. */
  readonly notional: Decimal | null;
  /** Notional already committed today (UTC day of the event time) by executed directives. */
  readonly day_used: Decimal;
  /** Results of checks run by the book before the policy (sizing, the risk profile's rules), in order. */
  readonly checks: readonly RuleResult[];
}

export interface Evaluation {
  readonly verdict: Verdict;
  readonly results: readonly RuleResult[];
}

export function evaluate(p: ResolvedPolicy, d: Directive, f: PolicyFacts): Evaluation {
  const results: RuleResult[] = [];
  const add = (rule: string, verdict: Verdict, reason: string) => results.push({ rule, verdict, reason });
  const doc = p.doc;
  if (doc.scope.books.some((g) => globMatch(g, f.book_id))) add('scope.books', 'ALLOW', `book ${f.book_id} in scope`);
  else add('scope.books', 'BLOCK', `book ${f.book_id} is not in scope.books (${doc.scope.books.join(', ')})`);
  const outside = doc.scope.symbols === null ? [] : d.scope.symbols.filter((s) => !(doc.scope.symbols as string[]).includes(s));
  if (outside.length > 0) add('scope.symbols', 'BLOCK', `${outside.join(', ')} not in scope.symbols (${(doc.scope.symbols as string[]).join(', ')})`);
  if ((doc.modules_allowed as readonly string[]).includes(d.module)) add('modules_allowed', 'ALLOW', `module ${d.module} allowed`);
  else add('modules_allowed', 'BLOCK', `module ${d.module} is not in modules_allowed (${doc.modules_allowed.join(', ') || 'none'})`);
  if (f.notional !== null) {
    if (p.per_directive_max !== null && f.notional.gt(p.per_directive_max)) {
      add('budget.notional_per_directive_max', 'BLOCK', `notional ${f.notional.toString()} > ${p.per_directive_max.toString()}`);
    }
    if (p.per_day_max !== null && f.day_used.add(f.notional).gt(p.per_day_max)) {
      add('budget.notional_per_day_max', 'BLOCK', `${f.day_used.toString()} used today + ${f.notional.toString()} > ${p.per_day_max.toString()}`);
    }
  }
  for (const c of f.checks) results.push(c);
  const blocked = results.find((r) => r.verdict === 'BLOCK');
  if (blocked !== undefined) return { verdict: 'BLOCK', results };
  let needs = false;
  const ask = (rule: string, reason: string) => {
    needs = true;
    add(rule, 'NEEDS_APPROVAL', reason);
  };
  if ((doc.approval.types as readonly string[]).includes(d.type)) ask('approval.types', `${d.type} needs a named approver`);
  if (f.notional !== null && p.notional_above !== null && f.notional.gt(p.notional_above)) ask('approval.notional_above', `notional ${f.notional.toString()} > ${p.notional_above.toString()}`);
  const issuer = doc.approval.issuers.find((g) => globMatch(g, d.issued_by));
  if (issuer !== undefined) ask('approval.issuers', `issuer ${d.issued_by} matches ${issuer}`);
  return { verdict: needs ? 'NEEDS_APPROVAL' : 'ALLOW', results };
}

