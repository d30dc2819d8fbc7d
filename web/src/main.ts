/**
 * The dashboard: a read-only view of the store through the API (hash routes: #/ overview,
 * #/book/<stream>, #/governance, #/data, #/audit). It has no authority: no form changes anything;
 * operator commands go through the warden CLI. Live updates arrive over SSE (/api/live).
 */
import './style.css';
import { live } from './api.js';
import { disposeCharts } from './charts.js';
import { disposeTimers } from './refresh.js';
import { h } from './format.js';
import { audit } from './pages/audit.js';
import { bookPage } from './pages/book.js';
import { dataPage } from './pages/data.js';
import { governance } from './pages/governance.js';
import { applyLive, overview } from './pages/overview.js';

const main = document.getElementById('main')!;
const liveEl = document.getElementById('live')!;

async function route(): Promise<void> {
  disposeCharts();
  disposeTimers();
  main.replaceChildren();
  document.body.dataset.page = 'loading';
  const hash = location.hash.replace(/^#/, '') || '/';
  for (const a of document.querySelectorAll('nav a')) a.toggleAttribute('aria-current', a.getAttribute('href') === `#${hash}`);
  try {
    if (hash.startsWith('/book/')) await bookPage(main, decodeURIComponent(hash.slice('/book/'.length)));
    else if (hash === '/governance') await governance(main);
    else if (hash === '/data') await dataPage(main);
    else if (hash === '/audit') await audit(main);
    else await overview(main);
    document.body.dataset.page = hash === '/' ? 'overview' : hash.split('/')[1] ?? 'overview';
  } catch (e) {
    main.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Could not load: ${(e as Error).message}`));
    document.body.dataset.page = 'error';
  }
}

let appends = 0;
live((a) => {
  appends++;
  liveEl.textContent = `live: ${a.stream} seq ${a.head_seq}`;
  liveEl.dataset.appends = String(appends);
  applyLive(a);
}, (s) => (liveEl.textContent = s));
window.addEventListener('hashchange', () => void route());
void route();
