/**
 * `warden replay window --from T --to T [--book ID] [--book-config FILE] [--json]` and
 * `warden replay hour T [...] [--json]`.
 *
 * An evaluation hour is the UTC hour of the market tick a step follows (a tick at the bar close
 * 11:00 is hour 11:00; an operator command belongs to the hour of the tick before it). Both verbs
 * fold the log (chain checked) from the newest snapshot before the window, re-execute every step
 * inside it, and stop after it. `hour` shows that hour's inputs (ticks with their candles,
 * operator commands, runtime starts and stops) and outputs (the events, by seq). Exit 0 when the
 * current kernel reproduces them; 65 with the first divergence, and the book is quarantined.
 */
import type { Command } from 'commander';
import type { RuntimeCommand } from '../../core/book/index.js';
import type { StoredEvent } from '../../core/events/index.js';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';
import { kernelChoice, kernelOrExplain, oneBook, parseTime, progressBar, quarantining, replayStore, streamOfBook } from './replay-shared.js';

const LINE_CHARS_MAX = 160;

interface Opts {
  book?: string;
  bookConfig?: string;
  from?: string;
  to?: string;
  fromGenesis?: boolean;
  json?: boolean;
}

function clip(s: string): string {
  return s.length > LINE_CHARS_MAX ? `${s.slice(0, LINE_CHARS_MAX - 3)}...` : s;
}

function inputLine(c: RuntimeCommand): string {
  switch (c.kind) {
    case 'market.tick': {
      const bars = c.candles.map((k) => `${k.symbol} o ${k.open.toString()} h ${k.high.toString()} l ${k.low.toString()} c ${k.close.toString()} v ${k.volume.toString()} n ${k.count}`);
      const skipped = c.skipped !== undefined && c.skipped.length > 0 ? `; skipped as late: ${c.skipped.join(', ')}` : '';
      return `market.tick at ${new Date(c.time_ms).toISOString()}: ${bars.length === 0 ? 'no candles' : bars.join('; ')}${skipped}`;
    }
    case 'market.late': {
      const k = c.candle;
      return `market.late at ${new Date(c.time_ms).toISOString()}: ${k.symbol} o ${k.open.toString()} h ${k.high.toString()} l ${k.low.toString()} c ${k.close.toString()} v ${k.volume.toString()} n ${k.count}`;
    }
    case 'operator.command':
      return `operator.command inbox ${c.inbox_id} ${c.command} by ${c.issued_by} at ${new Date(c.time_ms).toISOString()} ${JSON.stringify(c.payload)}`;
    case 'runtime.start':
      return `runtime.start at ${new Date(c.time_ms).toISOString()} by ${c.owner} (lease epoch ${c.lease_epoch}, ${c.execution_plane})`;
    case 'runtime.stop':
      return `runtime.stop at ${new Date(c.time_ms).toISOString()} (${c.reason})`;
  }
}

const eventLine = (e: StoredEvent) => clip(`seq ${e.seq} ${e.type} ${JSON.stringify(e.payload)}`);

async function runWindow(globals: GlobalOptions, verb: 'window' | 'hour', opts: Opts, from_ms: number, to_ms: number): Promise<void> {
  if (opts.book !== undefined) streamOfBook(opts.book); // 64 before the store opens
  await withStore(globals, `replay ${verb}`, async ({ db, config }) => {
    const { replayWindow, storeInputs, commandValue } = await import('../../replay/index.js');
    const store = await replayStore(db);
    const stream = await oneBook(store, db, opts.book);
    const k = await kernelOrExplain(await kernelChoice(db, store, opts.bookConfig, config.WARDEN_BOOK_CONFIG), stream);
    const head = (await store.head(stream))?.seq ?? 0;
    const bar = await progressBar(!opts.json);
    bar?.start(head, 0, { stream });
    const r = await quarantining(store, stream, `replay ${verb}`, () =>
      replayWindow(store, stream, k.kernel, k.name, storeInputs(db), from_ms, to_ms, { collect: verb === 'hour', fromGenesis: opts.fromGenesis, onProgress: (n) => bar?.update(n), toSeq: head }),
    ).finally(() => bar?.stop());
    if (opts.json) {
      return writeJson({
        store: db.description, identical: true, ...r,
        window_steps: r.window_steps.map((s) => ({ ...s, command: commandValue(s.command), events: s.events.map((e) => ({ seq: e.seq, type: e.type, time_ms: e.time_ms, payload: e.payload })) })),
      });
    }
    const out: string[] = [];
    const span = verb === 'hour' ? `hour ${r.from}` : `window [${r.from}, ${r.to})`;
    if (r.hours.length === 0) {
      out.push(`${stream}: no evaluation hour in ${span} (the log's last step is seq ${r.head_seq}); nothing to re-execute`);
    } else {
      out.push(
        `${stream} ${span}: ${r.hours.length} hour(s), ${r.steps} step(s), ${r.events} event(s) (seq ${r.hours[0]!.seq_from}..${r.head_seq}) re-executed identically` +
          `${r.started_at_seq > 0 ? ` (folded from snapshot seq ${r.started_at_seq})` : ''}`,
      );
      out.push(`state hash before ${r.state_hash_before}, after ${r.state_hash}; chain head ${r.chain_head}`);
      if (verb === 'hour') {
        out.push('inputs:');
        for (const s of r.window_steps) out.push(`  ${clip(inputLine(s.command))}`);
        out.push('outputs:');
        for (const s of r.window_steps) for (const e of s.events) out.push(`  ${eventLine(e)}`);
        const gov = directiveLines(r.window_steps.flatMap((s) => s.events));
        if (gov.length > 0) out.push('directives:', ...gov.map((l) => `  ${l}`));
      } else {
        for (const h of r.hours) out.push(`  ${h.hour}  seq ${h.seq_from}..${h.seq_to}  ${h.steps} step(s)  state ${h.state_hash.slice(0, 16)}`);
      }
    }
    process.stdout.write(`${out.join('\n')}\n`);
  });
}

/** One line per directive touched in the hour: type, issuer, the policy verdict (version), and every status change with who. */
function directiveLines(events: readonly { type: string; payload: unknown }[]): string[] {
  const lines = new Map<string, string[]>();
  const at = (id: string) => lines.get(id) ?? (lines.set(id, []), lines.get(id)!);
  for (const e of events) {
    const p = e.payload as Record<string, unknown>;
    if (e.type === 'directive.proposed') {
      const d = p.directive as Record<string, unknown>;
      at(String(d.directive_id)).push(`${String(d.type)} by ${String(d.issued_by)}`);
    } else if (e.type === 'policy.evaluated') {
      at(String(p.directive_id)).push(`policy ${String(p.policy_version)}: ${String(p.verdict)}`);
    } else if (e.type === 'directive.status_changed') {
      at(String(p.directive_id)).push(`${String(p.to)} (${String(p.by)}${p.reason ? `: ${clip(String(p.reason))}` : ''})`);
    }
  }
  return [...lines].map(([id, parts]) => `${id}  ${parts.join(' -> ')}`);
}

export function registerReplayWindow(replay: Command, globals: () => GlobalOptions): void {
  const common = (c: Command) =>
    c
      .option('--book <id>', 'the book (default: the only book in the store), or a whole stream name like backtest:<book>:<run>')
      .option('--book-config <file>', "replay with this book config instead of the one the book recorded (its hash must match); default WARDEN_BOOK_CONFIG if set")
      .option('--from-genesis', 'fold from the first event instead of the newest snapshot before the window')
      .option('--json', 'print the result as JSON (hour: every input and event in full)');

  common(
    replay
      .command('window')
      .description('re-execute the evaluation hours in [--from, --to) of one book; exit 65 at the first divergence')
      .requiredOption('--from <time>', 'first hour (UTC, e.g. 2023-01-05T10:00:00Z; rounded down to the hour)')
      .requiredOption('--to <time>', 'end of the window, exclusive (UTC)'),
  ).action(async (_o: unknown, cmd: Command) => {
    const { hourStart } = await import('../../replay/steps.js');
    const opts = cmd.optsWithGlobals<Opts>();
    const from = parseTime(opts.from!, '--from');
    const to = parseTime(opts.to!, '--to');
    const fromHour = hourStart(from);
    if (to <= fromHour) throw new CliError(`--to ${opts.to} must be after --from ${opts.from}`, EXIT.usage);
    await runWindow(globals(), 'window', opts, fromHour, to);
  });

  common(
    replay
      .command('hour')
      .description('one evaluation hour of one book: its inputs and outputs, re-executed; exit 65 at a divergence')
      .argument('<time>', 'the hour (UTC, on the hour: e.g. 2023-01-05T11:00:00Z, the close of the 10:00 bar)'),
  ).action(async (time: string, _o: unknown, cmd: Command) => {
    const { HOUR_MS, hourStart } = await import('../../replay/steps.js');
    const opts = cmd.optsWithGlobals<Opts>();
    const at = parseTime(time, 'hour');
    if (hourStart(at) !== at) throw new CliError(`hour ${JSON.stringify(time)}: expected the start of an hour, e.g. ${new Date(hourStart(at)).toISOString()}`, EXIT.usage);
    await runWindow(globals(), 'hour', opts, at, at + HOUR_MS);
  });
}
