/**
 * `warden directives list|show|approve|reject|retry|propose`: thin adapters over src/governance (parse
 * options, call a service, print). Directives live in the book's event stream; the read model
 * (src/governance/directives.ts) is folded from its governance events. approve/reject check the
 * read model first (the directive exists and is `proposed`; else exit 1, nothing recorded), then
 * record an inbox command (issued_by "operator:NAME") and, if a runtime runs the book, wait
 * (--wait-ms) for its answer and print the directive's status. The store is reached as
 * src/cli/operator.ts says (the running runtime's channel on an embedded store, else directly).
 * Registration loads only commander and constant modules; each action loads what it uses.
 */
import type { Command } from 'commander';
import type { CanonicalValue } from '../../core/canonical/index.js';
import { DIRECTIVE_STATUSES, OPERATOR_DIRECTIVE_TYPES, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, TEXT_CHARS_MAX, TIMEBOX_BARS_MAX, WAIT_MS_DEFAULT, WAIT_MS_MAX } from '../../governance/limits.js';
import { CliError, EXIT, writeJson, type GlobalOptions } from '../context.js';
import { bookId } from './book.js';

interface Common { book?: string; json?: boolean }
interface Acting extends Common { as: string; waitMs: string }

function intOption(name: string, v: string, min: number, max: number): number {
  const n = /^[0-9]{1,9}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${name} ${JSON.stringify(v)}: expected an integer ${min}..${max}`, EXIT.usage);
  return n;
}

/** Records `command`, waits for the answer, prints it; exit 1 when the runtime rejected it. */
async function act(globals: () => GlobalOptions, verb: string, opts: Acting, subject: string | null, build: (issuedBy: string) => Promise<{ payload: Record<string, unknown>; check?: (port: import('../../governance/operator.js').OperatorPort, stream: string) => Promise<void> }>): Promise<void> {
  const { operatorIssuer, submit } = await import('../../governance/commands.js');
  const { formatSubmitted } = await import('../../governance/format.js');
  const id = await bookId(globals, opts.book);
  const stream = `book:${id}`;
  const issuedBy = operatorIssuer(opts.as);
  const waitMs = intOption('--wait-ms', opts.waitMs, 0, WAIT_MS_MAX);
  const { payload, check } = await build(issuedBy);
  const { withOperator } = await import('../operator.js');
  await withOperator(globals(), `directives ${verb}`, async (port, log) => {
    await check?.(port, stream);
    const s = await submit(port, stream, `directive.${verb}`, payload as CanonicalValue, issuedBy, waitMs);
    log.info({ event: 'inbox_command_recorded', inbox_id: s.inbox_id, stream, command: s.command, issued_by: issuedBy, via: port.via });
    const target = subject ?? s.outcome?.proposed[0] ?? null;
    const status = s.outcome === null || target === null ? null : ((await port.showDirective(stream, target))?.status ?? null);
    if (opts.json) {
      writeJson({ ...s, directive_id: target, status, answered: s.outcome !== null, via: port.via });
    } else {
      process.stdout.write(formatSubmitted(s, target ?? 'a new directive', status, waitMs));
    }
    if (s.outcome?.answer === 'rejected') process.exitCode = EXIT.failure;
  });
}

function registerReads(d: Command, globals: () => GlobalOptions): void {
  d.command('list')
    .description('the directives of a book with their status, latest policy verdict and last change')
    .option('--status <status>', `only this status: ${DIRECTIVE_STATUSES.join(', ')}`)
    .option('--book <id>', 'the book (default: WARDEN_BOOK from the profile)')
    .option('--limit <n>', 'print at most the newest N', String(LIST_LIMIT_DEFAULT))
    .option('--json', 'print the result as JSON')
    .action(async (opts: Common & { status?: string; limit: string }) => {
      if (opts.status !== undefined && !(DIRECTIVE_STATUSES as readonly string[]).includes(opts.status)) {
        throw new CliError(`--status ${JSON.stringify(opts.status)}: expected one of ${DIRECTIVE_STATUSES.join(', ')}`, EXIT.usage);
      }
      const status = opts.status as (typeof DIRECTIVE_STATUSES)[number] | undefined;
      const limit = intOption('--limit', opts.limit, 1, LIST_LIMIT_MAX);
      const id = await bookId(globals, opts.book);
      const { withOperator } = await import('../operator.js');
      await withOperator(globals(), 'directives list', async (port) => {
        const l = await port.listDirectives(`book:${id}`, status === undefined ? { limit } : { status, limit });
        if (opts.json) return writeJson(l);
        const { formatList } = await import('../../governance/format.js');
        process.stdout.write(formatList(l, status));
      });
    });

  d.command('show')
    .description('one directive: the directive as proposed, its policy evaluations (rules, verdicts), its history (who, when, why) and execution runs')
    .argument('<id>', 'the directive id, e.g. D12')
    .option('--book <id>', 'the book (default: WARDEN_BOOK from the profile)')
    .option('--json', 'print the result as JSON')
    .action(async (directiveId: string, opts: Common) => {
      const { checkDirectiveId } = await import('../../governance/commands.js');
      checkDirectiveId(directiveId);
      const id = await bookId(globals, opts.book);
      const { withOperator } = await import('../operator.js');
      await withOperator(globals(), 'directives show', async (port) => {
        const r = await port.showDirective(`book:${id}`, directiveId);
        if (r === null) throw new CliError(`book:${id} has no directive ${directiveId} (see warden directives list)`, EXIT.failure);
        if (opts.json) return writeJson(r);
        const { formatShow } = await import('../../governance/format.js');
        process.stdout.write(formatShow(`book:${id}`, r));
      });
    });
}

const acting = (c: Command): Command => c
  .requiredOption('--as <name>', 'who you are: 1-64 characters a-z 0-9 _ . - (recorded as operator:NAME)')
  .option('--book <id>', 'the book (default: WARDEN_BOOK from the profile)')
  .option('--wait-ms <ms>', "how long to wait for the running runtime's answer (0: do not wait)", String(WAIT_MS_DEFAULT))
  .option('--json', 'print the result as JSON');

function registerActs(d: Command, globals: () => GlobalOptions): void {
  acting(d.command('approve')
    .description('approve a proposed directive (recorded in the inbox; the runtime applies it as a step)')
    .argument('<id>', 'the directive id, e.g. D12')
    .option('--note <text>', `kept with the approval (max ${TEXT_CHARS_MAX} characters)`))
    .action(async (directiveId: string, opts: Acting & { note?: string }) => {
      await act(globals, 'approve', opts, directiveId, async () => {
        const { approvable, checkText, checkDirectiveId } = await import('../../governance/commands.js');
        checkDirectiveId(directiveId);
        if (opts.note !== undefined) checkText('--note', opts.note, false);
        return {
          payload: { directive_id: directiveId, ...(opts.note === undefined ? {} : { note: opts.note }) },
          check: async (port, stream) => void (await approvable(port, stream, directiveId, 'approve')),
        };
      });
    });

  acting(d.command('reject')
    .description('reject a proposed directive: it becomes blocked with reason "rejected: TEXT"')
    .argument('<id>', 'the directive id, e.g. D12')
    .requiredOption('--reason <text>', `why (max ${TEXT_CHARS_MAX} characters)`))
    .action(async (directiveId: string, opts: Acting & { reason: string }) => {
      await act(globals, 'reject', opts, directiveId, async () => {
        const { approvable, checkText, checkDirectiveId } = await import('../../governance/commands.js');
        checkDirectiveId(directiveId);
        checkText('--reason', opts.reason, true);
        return { payload: { directive_id: directiveId, reason: opts.reason }, check: async (port, stream) => void (await approvable(port, stream, directiveId, 'reject')) };
      });
    });

  acting(d.command('retry')
    .description('move a blocked directive back to proposed: the policy evaluates it again at the next tick (its timebox still applies; an expired one cannot be retried)')
    .argument('<id>', 'the directive id, e.g. D12')
    .option('--note <text>', `kept with the retry (max ${TEXT_CHARS_MAX} characters)`))
    .action(async (directiveId: string, opts: Acting & { note?: string }) => {
      await act(globals, 'retry', opts, directiveId, async () => {
        const { retryable, checkText, checkDirectiveId } = await import('../../governance/commands.js');
        checkDirectiveId(directiveId);
        if (opts.note !== undefined) checkText('--note', opts.note, false);
        return {
          payload: { directive_id: directiveId, ...(opts.note === undefined ? {} : { note: opts.note }) },
          check: async (port, stream) => void (await retryable(port, stream, directiveId)),
        };
      });
    });

  acting(d.command('propose')
    .description('propose a directive as an operator; the policy evaluates it like any other')
    .requiredOption('--type <type>', `one of ${OPERATOR_DIRECTIVE_TYPES.join(', ')}`)
    .option('--objective <text>', `what it is for (max ${TEXT_CHARS_MAX} characters)`)
    .option('--payload <json>', 'the directive payload, a JSON object (decimals as strings)')
    .option('--payload-file <file>', 'the payload from a JSON file')
    .option('--symbols <list>', 'comma-separated symbols in scope, e.g. BTC/USD,ETH/USD')
    .option('--timebox-bars <n>', `expire unapproved after N bars (1..${TIMEBOX_BARS_MAX})`))
    .action(async (opts: Acting & { type: string; objective?: string; payload?: string; payloadFile?: string; symbols?: string; timeboxBars?: string }) => {
      await act(globals, 'propose', opts, null, async () => {
        const { proposalPayload, checkProposal } = await import('../../governance/propose.js');
        const payload = proposalPayload(opts);
        await checkProposal(payload, opts);
        return { payload };
      });
    });
}

export function registerDirectives(program: Command, globals: () => GlobalOptions): void {
  const d = program.command('directives').description('governance: list, show, approve, reject, retry and propose the directives of a book');
  registerReads(d, globals);
  registerActs(d, globals);
}
