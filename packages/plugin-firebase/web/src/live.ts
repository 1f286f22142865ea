import { $, setupLanguage, statusClass } from './common.js';
import { loadConfig } from './config.js';
import { fmtCost, fmtDuration, fmtEnergy, fmtPower, fmtTime } from './format.js';
import type { Lang, Texts } from './i18n.js';
import { firebaseServerOffsetMs, watchConnector, type ConnectorView, type Source } from './sources.js';

const params = new URLSearchParams(location.search);
const chargePointId = (params.get('cp') ?? params.get('station') ?? '').trim();
const connectorId = Number(params.get('c') ?? params.get('connector') ?? '1');

let view: ConnectorView | null | undefined; // undefined: nothing yet
let source: Source | null = null;
let link: 'connecting' | 'ok' | 'down' = 'connecting';
let online = true;
let unavailable = false;
/** Local time when the current view arrived, to tick the duration without trusting the phone's clock. */
let receivedAt = 0;

let t!: Texts;
let l: Lang = 'id';
setupLanguage((texts, lang) => {
  t = texts;
  l = lang;
  render();
});

function render(): void {
  if (!t) return;
  $('where').textContent = `${t.station} ${chargePointId || '?'} · ${t.connector} ${connectorId}`;
  document.title = `${chargePointId} · ${t.connector} ${connectorId} · Charge-IT`;
  const status = $('status');
  const notice = $('notice');
  const statusText = $('status-text');
  notice.hidden = true;

  if (!chargePointId || !Number.isInteger(connectorId) || connectorId < 1 || view === null) {
    status.className = 'status status-unknown';
    statusText.textContent = t.status.unknown!;
    notice.textContent = t.notFound;
    notice.hidden = false;
    $('session').hidden = true;
    $('idle').hidden = true;
    $('source').textContent = '';
    return;
  }
  if (view === undefined) {
    status.className = 'status status-unknown';
    statusText.textContent = link === 'down' ? t.offline : t.connecting;
    if (unavailable) {
      statusText.textContent = t.status.unknown!;
      notice.textContent = t.unavailable;
      notice.hidden = false;
    }
    $('session').hidden = true;
    $('idle').hidden = true;
    return;
  }
  status.className = `status ${statusClass(view.status, online)}`;
  statusText.textContent = t.status[view.status ?? 'unknown'] ?? view.status ?? t.status.unknown!;
  if (!online) {
    notice.textContent = t.stationOffline;
    notice.hidden = false;
  } else if (link === 'down') {
    notice.textContent = t.offline;
    notice.hidden = false;
  }

  const s = view.session;
  $('session').hidden = !s;
  $('idle').hidden = Boolean(s);
  if (s) {
    const p = fmtPower(s.powerW, l);
    $('power').textContent = p.value;
    $('power-unit').textContent = p.unit;
    const e = fmtEnergy(s.energyWh, l);
    $('energy').textContent = e.value;
    $('energy-unit').textContent = e.unit;
    $('cost').textContent = fmtCost(s.costIdr, l);
    $('soc-box').hidden = s.socPercent === null;
    $('soc').textContent = s.socPercent === null ? '' : String(Math.round(s.socPercent));
    $('card').textContent = s.idTagMasked;
    $('started').textContent = fmtTime(s.startedAt, l);
    tick();
  } else {
    const last = view.lastSession;
    const hint = $('hint');
    const ready = view.status === 'Available' || view.status === 'Preparing';
    const done = view.status === 'Finishing' || (Boolean(last) && (view.status === 'SuspendedEV' || view.status === 'SuspendedEVSE'));
    hint.textContent = ready ? t.idleHint : done ? t.doneHint : '';
    hint.hidden = !ready && !done;
    $('last').hidden = !last;
    if (last) {
      const e = fmtEnergy(last.energyWh, l);
      $('last-energy').textContent = `${e.value} ${e.unit}`;
      $('last-duration').textContent = fmtDuration(last.durationS);
      $('last-cost').textContent = fmtCost(last.costIdr, l);
      $('last-ended').textContent = fmtTime(last.stoppedAt, l);
    }
  }
  $('source').textContent = source === 'firebase' ? `● ${t.viaFirebase}` : source === 'lan' ? `● ${t.viaLan}` : '';
}

/**
 * The duration ticks every second. From the LAN view, `durationS` is as of the moment it was sent, so
 * it counts on from there on the phone's own clock. In Firebase it is as of the last write, which may
 * be a meter interval old, so it is computed like the core does (now − startedAt) with Firebase's
 * server time (the phone's clock corrected by `.info/serverTimeOffset`).
 */
function tick(): void {
  const s = view?.session;
  if (!s) return;
  const sinceReceived = s.durationS + (performance.now() - receivedAt) / 1000;
  const started = Date.parse(s.startedAt);
  const seconds =
    source === 'firebase' && Number.isFinite(started) ? Math.max(sinceReceived, (Date.now() + firebaseServerOffsetMs() - started) / 1000) : sinceReceived;
  $('duration').textContent = fmtDuration(seconds);
}
setInterval(tick, 1000);

async function main(): Promise<void> {
  render();
  if (!chargePointId) return;
  const config = await loadConfig();
  if (!config.firebase && !config.lan) {
    unavailable = true;
    render();
    return;
  }
  watchConnector(
    config,
    chargePointId,
    connectorId,
    (u) => {
      if (u.online !== undefined) online = u.online;
      if (u.view !== undefined) {
        view = u.view;
        source = u.source;
        receivedAt = performance.now();
        if (u.source === 'lan') online = true;
      }
      render();
    },
    (state) => {
      link = state;
      render();
    },
  );
}

void main();
