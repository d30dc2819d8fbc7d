/**
 * Audit: per book the chain head, writer lease, quarantine and the last verification (a GET that
 * checks the hash chain now; it records nothing), the ticks that did not end OK with each task's
 * outcome (tick.completed: an OK tick records none), and the events with a type filter.
 */
import { enc, get, type Book, type Page } from '../api.js';
import { badge, h, table, utc } from '../format.js';

interface Chain { head_seq: number; head_hash: string; lease_owner: string | null; lease_live: boolean; quarantine: { reason: string; seq: number | null } | null; verify_command: string }
interface Tick { seq: number; time_ms: number; status: string; tasks: Array<{ task: string; outcome: string; reason: string }> }
const TICKS_SHOWN = 100;
interface Verify { ok: boolean; head_seq: number; events: number; error: string | null; duration_ms: number; checked_at_ms: number }

export async function audit(main: HTMLElement): Promise<void> {
  const { books } = await get<{ books: Book[] }>('/api/books');
  main.append(h('h1', {}, 'Audit'));
  for (const b of books) {
    const c = await get<Chain>(`/api/books/${enc(b.stream)}/chain`);
    const panel = h('section', { class: 'panel', 'data-stream': b.stream });
    const out = h('p', { class: 'verify-result', 'aria-live': 'polite' }, 'not verified in this session');
    const btn = h('button', { type: 'button' }, 'Check the hash chain now');
    btn.addEventListener('click', () => {
      out.textContent = 'checking...';
      void get<Verify>(`/api/books/${enc(b.stream)}/verify`).then((v) => {
        out.replaceChildren(badge(v.ok ? 'VERIFIED' : 'BROKEN', v.ok ? 'active' : 'stale'), ` ${v.events} events to seq ${v.head_seq} in ${v.duration_ms} ms at ${utc(v.checked_at_ms)}${v.error ? `: ${v.error}` : ''}`);
      }, (e: Error) => (out.textContent = e.message));
    });
    panel.append(
      h('h2', {}, b.stream),
      h('p', {}, 'Chain head: seq ', h('span', { class: 'chain-seq' }, String(c.head_seq)), ' hash ', h('code', { class: 'chain-hash' }, c.head_hash)),
      h('p', {}, `Writer lease: ${c.lease_live ? `held by ${c.lease_owner}` : 'not held'}. `, c.quarantine ? badge('QUARANTINED', 'stale') : badge('NOT QUARANTINED', 'active'),
        c.quarantine ? ` ${c.quarantine.reason}` : ''),
      h('p', {}, 'Full proof (rebuild + re-execute): ', h('code', { class: 'cli' }, c.verify_command)),
      btn, out,
    );
    const ticks = await get<{ items: Tick[]; next_after_seq: number | null }>(`/api/books/${enc(b.stream)}/ticks?limit=${TICKS_SHOWN}`);
    panel.append(table(`ticks-${b.stream.replace(/[^a-z0-9]/g, '-')}`, `Ticks that did not end OK (${ticks.items.length}${ticks.next_after_seq === null ? '' : '+'}; an OK tick records no outcome)`,
      ['Seq', 'Tick', 'Status', 'Tasks not SUCCESS'],
      ticks.items.map((t) => [String(t.seq), utc(t.time_ms), badge(t.status, t.status === 'HALTED' ? 'stale' : 'late'),
        t.tasks.filter((x) => x.outcome !== 'SUCCESS').map((x) => `${x.task}: ${x.outcome}${x.reason ? ` (${x.reason})` : ''}`).join('; ') || '-'])));
    panel.lastElementChild!.classList.add('ticks');
    main.append(panel);
  }
  if (books.length === 0) return;
  const sel = h('select', { id: 'audit-stream', 'aria-label': 'book' });
  for (const b of books) sel.append(h('option', { value: b.stream }, b.stream));
  const type = h('input', { id: 'audit-type', type: 'text', placeholder: 'event types, e.g. fill.executed,trade.closed', 'aria-label': 'event type filter', size: '40' });
  const show = h('button', { type: 'button' }, 'Show events');
  const list = h('div', { id: 'events' });
  const load = async () => {
    const filter = type.value.trim().replace(/\s+/g, '');
    const p = await get<Page<unknown>>(`/api/books/${enc(sel.value)}/events?limit=200${filter ? `&type=${enc(filter)}` : ''}`);
    list.replaceChildren(table('events-table', `Events of ${sel.value} (first 200 from seq 1)`, ['Seq', 'Type', 'Event time', 'Hash', 'Payload'],
      p.items.map((e) => [String(e.seq), e.type, utc(e.time_ms), h('code', {}, (e.hash ?? '').slice(0, 12)), h('code', { class: 'payload' }, JSON.stringify(e.payload).slice(0, 200))])));
  };
  show.addEventListener('click', () => void load().catch((e: Error) => list.replaceChildren(e.message)));
  main.append(h('section', { class: 'panel' }, h('h2', {}, 'Events'), sel, ' ', type, ' ', show, list));
  await load();
}
