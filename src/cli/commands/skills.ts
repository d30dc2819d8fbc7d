/**
 * `warden skills list|show`: thin adapters over the skills read model (src/skills/read.ts): the
 * registry's declarations (id, version, task types, inputs, permissions, side effects) and, for a
 * book (--book, or WARDEN_BOOK), each skill's lifecycle state and history. Reads only; a skill's
 * state changes through directives (`warden directives propose --type skill.deprecate ...`).
 * The store is reached as src/cli/operator.ts says (the running runtime's channel on an embedded
 * store, else directly). Registration loads only commander and constants; actions load the rest.
 */
import type { Command } from 'commander';
import { CliError, EXIT, writeJson, type GlobalOptions } from '../context.js';

interface Opts { book?: string; json?: boolean }

const SKILL_KEY_RE = /^[a-z0-9][a-z0-9-]{0,63}@[0-9A-Za-z._-]{1,16}$/;

/** --book, else WARDEN_BOOK, else null (declarations only). */
async function optionalBook(globals: () => GlobalOptions, book: string | undefined): Promise<string | null> {
  if (book === undefined) {
    const env = (await import('../../runtime/config/index.js')).loadConfig(globals().envFile, process.env, []).WARDEN_BOOK;
    if (env === undefined) return null;
  }
  const { bookId } = await import('./book.js');
  return bookId(globals, book);
}

async function rows(globals: () => GlobalOptions, opts: Opts, command: string) {
  const { skillRows } = await import('../../skills/read.js');
  const id = await optionalBook(globals, opts.book);
  if (id === null) return { stream: null, rows: skillRows(null) };
  const { withOperator } = await import('../operator.js');
  return withOperator(globals(), command, async (port) => {
    const stream = `book:${id}`;
    const b = await port.bookSkills(stream);
    if (!b.started) throw new CliError(`${stream} has not started (no book.started event): no skills bound yet; run it first, or omit --book for the registry`, EXIT.failure);
    return { stream, rows: skillRows(b) };
  });
}

export function registerSkills(program: Command, globals: () => GlobalOptions): void {
  const s = program.command('skills').description('the skill registry: declarations, and per book each skill\'s lifecycle state and history');
  s.command('list')
    .description('every registered skill: outputs and permissions; with a book, its state (REGISTERED, ACTIVE, DEPRECATED, REMOVED, QUARANTINED) and symbols')
    .option('--book <id>', 'the book (default: WARDEN_BOOK from the profile; none: the registry only)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: Opts) => {
      const r = await rows(globals, opts, 'skills list');
      if (opts.json) return writeJson({ stream: r.stream, skills: r.rows });
      const { formatSkillList } = await import('../../skills/read.js');
      process.stdout.write(formatSkillList(r.rows, r.stream));
    });
  s.command('show')
    .description('one skill: its declaration (task types, inputs, permissions, side effects); with a book, its state and history (who moved it, when, why)')
    .argument('<id>', 'the skill, e.g. sma-cross@1')
    .option('--book <id>', 'the book (default: WARDEN_BOOK from the profile; none: the declaration only)')
    .option('--json', 'print the result as JSON')
    .action(async (key: string, opts: Opts) => {
      if (!SKILL_KEY_RE.test(key)) throw new CliError(`skill ${JSON.stringify(key)}: expected <id>@<version>, e.g. sma-cross@1 (see warden skills list)`, EXIT.usage);
      const r = await rows(globals, opts, 'skills show');
      const row = r.rows.find((x) => x.key === key);
      if (row === undefined) throw new CliError(`no registered skill ${key} (registered: ${r.rows.map((x) => x.key).join(', ')})`, EXIT.failure);
      if (opts.json) return writeJson(row);
      const { formatSkillShow } = await import('../../skills/read.js');
      process.stdout.write(formatSkillShow(row));
    });
}
