import QRCode from 'qrcode';
import { $, setupLanguage, statusClass } from './common.js';
import { loadConfig, type PageConfig } from './config.js';
import type { Lang, Texts } from './i18n.js';
import { normaliseView, watchStation, type ConnectorView } from './sources.js';

const params = new URLSearchParams(location.search);
const chargePointId = (params.get('station') ?? params.get('cp') ?? '').trim();
/** `?connectors=2` (ids 1..2) or `?connectors=1,3`: printed even before the station reports them. */
const fixedIds = parseIds(params.get('connectors'));

let t!: Texts;
let l: Lang = 'id';
let config: PageConfig | null = null;
let ids: number[] | null = fixedIds;
let views = new Map<number, ConnectorView>();
const qrCache = new Map<string, string>();

setupLanguage((texts, lang) => {
  t = texts;
  l = lang;
  render();
});

function parseIds(v: string | null): number[] | null {
  if (!v) return null;
  const parts = v.split(',').map((p) => Number(p.trim()));
  if (parts.length === 1 && Number.isInteger(parts[0]) && parts[0]! > 0) return Array.from({ length: Math.min(parts[0]!, 32) }, (_, i) => i + 1);
  const list = parts.filter((n) => Number.isInteger(n) && n > 0);
  return list.length ? [...new Set(list)].sort((a, b) => a - b) : null;
}

/** The live page's address for a connector: the configured base (e.g. Firebase Hosting) or next to this page. */
export function liveUrl(connectorId: number): string {
  const base = params.get('base') || config?.baseUrl || new URL('./', location.href).href;
  const url = new URL('live.html', base.endsWith('/') ? base : base + '/');
  url.searchParams.set('cp', chargePointId);
  url.searchParams.set('c', String(connectorId));
  return url.href;
}

async function qrSvg(text: string): Promise<string> {
  let svg = qrCache.get(text);
  if (!svg) {
    svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } });
    qrCache.set(text, svg);
  }
  return svg;
}

function render(): void {
  if (!t) return;
  const pick = $('pick') as HTMLFormElement;
  const print = $('print') as HTMLButtonElement;
  print.textContent = t.print;
  if (!chargePointId) {
    pick.hidden = false;
    $('station-title').textContent = t.stationTitle;
    return;
  }
  document.title = `${chargePointId} · Charge-IT`;
  $('station-title').textContent = `${t.station} ${chargePointId}`;
  $('scan').hidden = false;
  print.hidden = false;
  const notice = $('notice');
  const list = $('connectors');
  if (!ids || ids.length === 0) {
    notice.textContent = config ? t.noConnectors : t.connecting;
    notice.hidden = false;
    list.replaceChildren();
    return;
  }
  notice.hidden = true;
  const cards = ids.map((id) => {
    const card = document.createElement('article');
    card.className = 'qr-card';
    const h = document.createElement('h2');
    h.textContent = `${t.connector} ${id}`;
    const v = views.get(id);
    const status = document.createElement('div');
    status.className = `status status-small ${statusClass(v?.status ?? null)}`;
    const dot = document.createElement('span');
    dot.className = 'dot';
    const st = document.createElement('span');
    st.textContent = t.status[v?.status ?? 'unknown'] ?? v?.status ?? t.status.unknown!;
    status.append(dot, st);
    const qr = document.createElement('div');
    qr.className = 'qr';
    qr.dataset.connector = String(id);
    const url = liveUrl(id);
    void qrSvg(url).then((svg) => {
      // The SVG comes from the local QR generator, not from user input.
      qr.innerHTML = svg;
      qr.firstElementChild?.setAttribute('role', 'img');
      qr.firstElementChild?.setAttribute('aria-label', `QR ${chargePointId} ${t.connector} ${id}`);
    });
    const link = document.createElement('a');
    link.className = 'open';
    link.href = url;
    link.textContent = t.openLive;
    const small = document.createElement('p');
    small.className = 'url';
    small.textContent = url;
    card.append(h, status, qr, link, small);
    return card;
  });
  list.replaceChildren(...cards);
  void l;
}

async function probeLan(cfg: PageConfig): Promise<void> {
  if (!cfg.lan || fixedIds) return;
  const found: number[] = [];
  for (let id = 1; id <= 8; id++) {
    try {
      const res = await fetch(`${cfg.lan}/connectors/${encodeURIComponent(chargePointId)}/${id}`, { cache: 'no-store' });
      if (!res.ok) break;
      const v = normaliseView(await res.json(), chargePointId, id);
      if (v) {
        found.push(id);
        views.set(id, v);
      }
    } catch {
      break;
    }
  }
  if (found.length && !ids) {
    ids = found;
    render();
  }
}

async function main(): Promise<void> {
  ($('pick') as HTMLFormElement).addEventListener('submit', (e) => {
    e.preventDefault();
    const v = (($('station-id') as HTMLInputElement).value || '').trim();
    if (v) location.search = `?station=${encodeURIComponent(v)}`;
  });
  ($('print') as HTMLButtonElement).addEventListener('click', () => window.print());
  if (!chargePointId) return render();
  config = await loadConfig();
  render();
  let fromFirebase = false;
  watchStation(config, chargePointId, (found, v) => {
    if (found) {
      fromFirebase = true;
      views = v;
      if (!fixedIds) ids = found;
    }
    render();
  });
  // LAN: when Firebase is off or slow, find the connectors through the public view.
  setTimeout(() => {
    if (!fromFirebase && config) void probeLan(config);
  }, config.firebase ? 3000 : 0);
}

void main();
