import { roleAllows } from '../auth/session-store.js';
import type { ChargePointRow, LiveChargePoint, StatusEventRow, TransactionRow } from '../core-api.js';
import { html, type Html, type HtmlValue } from '../html.js';
import { card, csrfField, emptyState, page, pill, type ViewCtx } from './layout.js';
import { onlinePill, profileLabel } from './stations-view.js';
import { fieldError } from './stations-view.js';

export function stationHeaderLive(ctx: ViewCtx, cp: LiveChargePoint, oob = false): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  return html`<dl class="props" id="station-live"${oob ? html` hx-swap-oob="true"` : null}>
  <dt>${t('Connection')}</dt><dd>${onlinePill(ctx, cp)}</dd>
  <dt>${t('Connected since')}</dt><dd>${cp.connected ? fmt.dateTime(cp.connectedSince) : '—'}</dd>
  <dt>${t('Last heard')}</dt><dd title="${fmt.dateTime(cp.lastSeenAt)}">${fmt.ago(cp.lastSeenAt)}</dd>
  <dt>${t('Boot status')}</dt><dd>${cp.registrationStatus ? pill(cp.registrationStatus, t(cp.registrationStatus)) : '—'}</dd>
  <dt>${t('Vendor / model')}</dt><dd>${cp.vendor ?? '—'} ${cp.model ?? ''}</dd>
  <dt>${t('Firmware')}</dt><dd class="mono">${cp.firmwareVersion ?? '—'}</dd>
</dl>`;
}

export function connectorCards(ctx: ViewCtx, cp: LiveChargePoint, oob = false): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const conns = cp.connectors.filter((c) => c.connectorId > 0);
  return html`<div id="station-connectors"${oob ? html` hx-swap-oob="true"` : null}>${conns.length === 0
    ? emptyState(t('No connectors reported yet'), t('Connectors appear after the charge point sends its first StatusNotification.'), 'plug')
    : html`<div class="conn-grid">${conns.map((c) => {
        const status = cp.connected ? (c.status ?? 'Unavailable') : 'Offline';
        const s = c.session;
        return html`<div class="conn" data-connector="${c.connectorId}">
  <div class="conn-head"><strong>${t('Connector')} #${c.connectorId}</strong>${pill(status, t(status))}</div>
  <div class="small muted">${t('since')} ${fmt.dateTime(c.since)}</div>
  ${c.errorCode && c.errorCode !== 'NoError' ? html`<div class="result-box bad small">${t('Error')}: <span class="mono">${c.errorCode}</span>${c.vendorErrorCode ? html` · ${t('vendor code')} <span class="mono">${c.vendorErrorCode}</span>` : null}${c.info ? html` · ${c.info}` : null}</div>` : c.info ? html`<div class="small">${c.info}</div>` : null}
  ${s
    ? html`<div class="conn-stats">
      <span>${t('Power')}<b data-field="power">${fmt.kw(s.powerW)}</b></span><span>${t('Energy')}<b data-field="energy">${fmt.kwh(s.energyWh)}</b></span>
      <span>${t('Cost so far')}<b>${fmt.idr(s.costIdr)}</b></span><span>${t('SoC')}<b>${s.socPercent === null ? '—' : `${fmt.number(s.socPercent)} %`}</b></span>
    </div>
    <div class="small"><a href="${ctx.prefix}/transactions/${s.transactionId}">${t('Session')} #${s.transactionId}</a> · <span class="mono">${s.idTag}</span> · ${t('since')} ${fmt.time(s.startedAt)}</div>`
    : c.lastSession
      ? html`<div class="small muted">${t('Last session')}: <a href="${ctx.prefix}/transactions/${c.lastSession.transactionId}">#${c.lastSession.transactionId}</a> · ${fmt.kwh(c.lastSession.energyWh)} · ${fmt.idr(c.lastSession.costIdr)}</div>`
      : null}
</div>`;
      })}</div>`}</div>`;
}

export interface StationDetail {
  live: LiveChargePoint;
  stored: ChargePointRow | null;
  history: StatusEventRow[];
  sessions: TransactionRow[];
  commands: Html;
}

export function stationDetailPage(ctx: ViewCtx, d: StationDetail): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const cp = d.live;
  const operator = roleAllows(ctx.session.role, 'operator');
  return page(ctx, {
    title: `${t('Charge point')} ${cp.id}`,
    active: 'stations',
    live: `station:${cp.id}`,
    body: html`
<div class="grid grid-main">
  ${card(t('Connectors'), connectorCards(ctx, cp))}
  ${card(t('Charge point'), html`${stationHeaderLive(ctx, cp)}
    <dl class="props">
      <dt>${t('Last heartbeat')}</dt><dd>${d.stored?.lastHeartbeatAt ? fmt.dateTime(d.stored.lastHeartbeatAt) : '—'}</dd>
      <dt>${t('Last boot')}</dt><dd>${d.stored?.lastBootAt ? fmt.dateTime(d.stored.lastBootAt) : '—'}</dd>
      <dt>${t('Security profile')}</dt><dd>${d.stored ? profileLabel(ctx, d.stored.securityProfile) : '—'}</dd>
      <dt>${t('Maximum power')}</dt><dd>${d.stored?.maxPowerKw ? `${fmt.number(Number(d.stored.maxPowerKw), 1)} kW` : '—'}</dd>
      ${d.stored?.serialNumber ? html`<dt>${t('Serial number')}</dt><dd class="mono">${d.stored.serialNumber}</dd>` : null}
      ${d.stored?.description ? html`<dt>${t('Description')}</dt><dd>${d.stored.description}</dd>` : null}
    </dl>`)}
</div>
${operator ? card(t('Operator commands'), d.commands) : null}
${card(t('Configuration'), configurationPanel(ctx, cp.id, null), { actions: operator ? html`<button class="btn btn-sm" hx-post="${ctx.prefix}/stations/${encodeURIComponent(cp.id)}/configuration/read" hx-target="#config-panel" hx-swap="outerHTML" hx-disabled-elt="this">${t('Read from charger (GetConfiguration)')}</button>` : null })}
<div class="grid grid-2">
  ${card(t('Recent sessions'), recentSessions(ctx, d.sessions), { cls: 'flush-card', actions: html`<a class="btn btn-sm btn-ghost" href="${ctx.prefix}/transactions?chargePointId=${encodeURIComponent(cp.id)}">${t('All')}</a>` })}
  ${card(t('Status history'), statusHistory(ctx, d.history), { cls: 'flush-card' })}
</div>`,
  });
}

function recentSessions(ctx: ViewCtx, rows: TransactionRow[]): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  if (rows.length === 0) return emptyState(t('No sessions yet'), t('Sessions of this charge point will be listed here.'), 'transactions');
  return html`<div class="table-wrap"><table><thead><tr><th>#</th><th>${t('Started')}</th><th>${t('Card')}</th><th class="num">${t('Energy')}</th><th class="num">${t('Cost')}</th><th>${t('Status')}</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td><a href="${ctx.prefix}/transactions/${r.id}">${r.id}</a></td><td class="nowrap">${fmt.dateTime(r.startTimestamp)}</td><td class="mono">${r.idTag}</td><td class="num">${fmt.kwh(r.energyWh)}</td><td class="num">${fmt.idr(r.cost)}</td><td>${pill(r.status, t(r.status))}${r.flags.length ? html` <span class="tag tag-warn" title="${r.flags.join(', ')}">${t('flagged')}</span>` : null}</td></tr>`)}
</tbody></table></div>`;
}

function statusHistory(ctx: ViewCtx, rows: StatusEventRow[]): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  if (rows.length === 0) return emptyState(t('No status reported yet'), t('StatusNotifications of the charge point are kept here.'), 'audit');
  return html`<div class="table-wrap"><table><thead><tr><th>${t('Time')}</th><th>${t('Connector')}</th><th>${t('Status')}</th><th>${t('Error')}</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td class="nowrap">${fmt.dateTime(r.timestamp ?? r.receivedAt)}</td><td>#${r.connectorId}</td><td>${pill(r.status, t(r.status))}</td><td class="small">${r.errorCode && r.errorCode !== 'NoError' ? html`<span class="mono">${r.errorCode}</span>` : null}${r.vendorErrorCode ? html` <span class="mono muted">${r.vendorErrorCode}</span>` : null}${r.info ? html` <span class="muted">${r.info}</span>` : null}</td></tr>`)}
</tbody></table></div>`;
}

export interface ConfigRead {
  keys: { key: string; value?: string; readonly: boolean }[];
  unknownKeys: string[];
  error?: string;
  at: string;
}

/** Configuration keys as last read (GetConfiguration), each editable with ChangeConfiguration. */
export function configurationPanel(ctx: ViewCtx, chargePointId: string, read: ConfigRead | null): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const operator = roleAllows(ctx.session.role, 'operator');
  const base = `${ctx.prefix}/stations/${encodeURIComponent(chargePointId)}/configuration`;
  let body: HtmlValue;
  if (!read) body = html`<p class="muted">${t('The configuration is read from the charger on request (GetConfiguration); nothing is sent until you ask.')}</p>`;
  else if (read.error) body = html`<div class="result-box bad">${read.error}</div>`;
  else
    body = html`<p class="small muted">${t('Read at {time}; {n} keys.', { time: fmt.time(read.at), n: read.keys.length })}</p>
<div class="table-wrap"><table><thead><tr><th>${t('Key')}</th><th>${t('Value')}</th><th></th></tr></thead><tbody>
${read.keys.map((k) => html`<tr><td class="mono">${k.key}</td><td>${k.readonly || !operator
  ? html`<span class="mono">${k.value ?? ''}</span> ${k.readonly ? html`<span class="tag">${t('read-only')}</span>` : null}`
  : changeConfigForm(ctx, base, k.key, k.value ?? '', null)}</td><td></td></tr>`)}
</tbody></table></div>
${read.unknownKeys.length ? html`<p class="small muted">${t('Unknown keys')}: ${read.unknownKeys.join(', ')}</p>` : null}`;
  return html`<div id="config-panel">${body}
${operator ? html`<details class="result"><summary>${t('Set another key')}</summary>${changeConfigForm(ctx, base, '', '', null, true)}</details>` : null}</div>`;
}

export function changeConfigForm(ctx: ViewCtx, base: string, key: string, value: string, result: Html | null, freeKey = false, errors: Record<string, string> = {}): Html {
  const t = ctx.fmt.t;
  return html`<form class="cmd-inline" hx-post="${base}" hx-target="this" hx-swap="outerHTML" method="post" action="${base}">
${csrfField(ctx)}
${freeKey ? html`<label class="field${errors.key ? ' invalid' : ''}"><span>${t('Key')}</span><input type="text" name="key" value="${key}" maxlength="50" required>${fieldError(errors, 'key')}</label>` : html`<input type="hidden" name="key" value="${key}">`}
<label class="field${errors.value ? ' invalid' : ''}">${freeKey ? html`<span>${t('Value')}</span>` : null}<input type="text" name="value" value="${value}" maxlength="500" aria-label="${t('Value')}">${fieldError(errors, 'value')}</label>
<button class="btn btn-sm" type="submit">${t('Change')}</button>
${result}
</form>`;
}
