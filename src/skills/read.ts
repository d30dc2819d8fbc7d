/**
 * The skills read model: what `warden skills list|show` print. The registry's declarations (id,
 * version, task types, inputs, permissions, side effects: src/core/skills/registry.ts) and, for a
 * book, each bound skill's lifecycle state and history, folded from the book's `book.started`
 * (which skills it binds, to which symbols and parameters) and `skill.status_changed` events only.
 * A configured skill starts ACTIVE (no event), as the kernel has it. The fold re-checks every
 * change against the lifecycle (src/governance/limits.ts SKILL_TRANSITIONS); a misfit is a
 * DirectiveLogError naming the seq (exit 65), never a guess.
 */
import type { CanonicalValue } from '../core/canonical/index.js';
import { skillRegistry, type SkillDeclaration } from '../core/skills/registry.js';
import { DirectiveLogError } from '../governance/errors.js';
import { SKILL_STATES, SKILL_TRANSITIONS, type SkillState } from '../governance/limits.js';

/** The event types the skills read model folds. */
export const SKILL_EVENT_TYPES = ['book.started', 'skill.status_changed'] as const;
/** Changes kept per skill in a history (the newest). */
export const SKILL_HISTORY_MAX = 1_000;

export interface SkillChange { seq: number; time_ms: number; from: SkillState; to: SkillState; reason: string }
export interface BookSkill { key: string; symbols: string[]; params: CanonicalValue; state: SkillState; history: SkillChange[] }
/** A book's skills as the port returns them (a plain JSON answer: it crosses the operator channel). */
export interface BookSkills { stream: string; started: boolean; skills: BookSkill[] }

interface Ev { seq: number; type: string; time_ms: number; payload: CanonicalValue }
type Obj = { readonly [k: string]: CanonicalValue };

function bad(stream: string, seq: number, what: string, type = 'skill.status_changed'): never {
  throw new DirectiveLogError(stream, seq, type, what);
}

/** Folds a book's skill events (in seq order, in pages) into its bound skills with state and history. */
export async function foldBookSkills(stream: string, pages: AsyncIterable<readonly Ev[]>): Promise<BookSkills> {
  const skills = new Map<string, BookSkill>();
  let started = false;
  for await (const page of pages) {
    for (const e of page) {
      const p = e.payload as Obj;
      if (e.type === 'book.started') {
        started = true;
        const cfg = (p.config ?? {}) as Obj;
        const list = Array.isArray(cfg.skills) ? (cfg.skills as Obj[]) : bad(stream, e.seq, 'config.skills: expected an array', 'book.started');
        for (const b of list) {
          const key = `${String(b.skill)}@${String(b.version ?? '1')}`;
          const symbols = Array.isArray(b.symbols) ? (b.symbols as string[]) : [];
          const prev = skills.get(key);
          if (prev) prev.symbols = [...new Set([...prev.symbols, ...symbols])].sort();
          else skills.set(key, { key, symbols: [...symbols].sort(), params: (b.params ?? {}) as CanonicalValue, state: 'ACTIVE', history: [] });
        }
        continue;
      }
      const key = typeof p.skill === 'string' ? p.skill : bad(stream, e.seq, 'skill: expected a string');
      const from = p.from as SkillState;
      const to = p.to as SkillState;
      if (!(SKILL_STATES as readonly string[]).includes(from) || !(SKILL_STATES as readonly string[]).includes(to)) bad(stream, e.seq, `states ${JSON.stringify(from)} -> ${JSON.stringify(to)} (expected ${SKILL_STATES.join(', ')})`);
      const s = skills.get(key) ?? bad(stream, e.seq, `skill ${key}, which the book does not bind`);
      if (s.state !== from) bad(stream, e.seq, `skill ${key}: recorded ${from} -> ${to}, but it was ${s.state}`);
      if (!SKILL_TRANSITIONS.some(([a, b]) => a === from && b === to)) bad(stream, e.seq, `skill ${key}: ${from} -> ${to} is not a lifecycle transition`);
      s.state = to;
      s.history.push({ seq: e.seq, time_ms: e.time_ms, from, to, reason: typeof p.reason === 'string' ? p.reason : '' });
      if (s.history.length > SKILL_HISTORY_MAX) s.history.shift();
    }
  }
  return { stream, started, skills: [...skills.values()].sort((a, b) => (a.key < b.key ? -1 : 1)) };
}

export interface SkillRow extends SkillDeclaration {
  /** In the book asked for: its state and symbols; null when no book was asked or the book does not bind it. */
  book: { stream: string; state: SkillState; symbols: string[]; params: CanonicalValue; history: SkillChange[] } | null;
}

/** The registry joined with a book's skills (null: declarations only). */
export function skillRows(book: BookSkills | null): SkillRow[] {
  return skillRegistry().map((d) => {
    const b = book?.skills.find((s) => s.key === d.key);
    return { ...d, book: b === undefined || book === null ? null : { stream: book.stream, state: b.state, symbols: b.symbols, params: b.params, history: b.history } };
  });
}

const when = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export function formatSkillList(rows: readonly SkillRow[], stream: string | null): string {
  const out = [stream === null ? 'registered skills (pass --book B for a book\'s states)' : `skills of ${stream} (registry: ${rows.length})`];
  for (const r of rows) {
    const state = stream === null ? '' : r.book === null ? '  (not bound)' : `  ${r.book.state}  ${r.book.symbols.join(',')}`;
    out.push(`${r.key.padEnd(22)} outputs ${r.outputs.join(',').padEnd(22)} permissions ${r.permissions.join(',')}${state}`);
  }
  return `${out.join('\n')}\n`;
}

export function formatSkillShow(r: SkillRow): string {
  const out = [
    `${r.key}: ${r.description}`,
    `  id ${r.id}, version ${r.version}; task types ${r.task_types.join(', ')}`,
    `  inputs: timeframes ${r.inputs.timeframes_s === null ? 'any' : r.inputs.timeframes_s.map((s) => `${s}s`).join(', ')}; indicators ${r.inputs.indicators.join(', ') || 'none'}; ${r.inputs.bars}`,
    `  outputs ${r.outputs.join(', ')}; permissions ${r.permissions.join(', ')}; side effects ${r.side_effects.join(', ')}`,
  ];
  if (r.book !== null) {
    out.push(`  in ${r.book.stream}: ${r.book.state} on ${r.book.symbols.join(', ')}, params ${JSON.stringify(r.book.params)}`);
    if (r.book.history.length === 0) out.push('  history: ACTIVE since the book started (configured)');
    for (const h of r.book.history) out.push(`  seq ${h.seq}  ${when(h.time_ms)}  ${h.from} -> ${h.to}  ${h.reason}`);
  }
  return `${out.join('\n')}\n`;
}
