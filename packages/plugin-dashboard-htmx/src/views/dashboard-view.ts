import type { LiveChargePoint, LiveSite, LiveSnapshot } from '../core-api.js';
import { domId, html, type Html } from '../html.js';
import type { FeedItem } from '../live/event-feed.js';
import { icon } from './icons.js';
import { card, emptyState, page, pill, type ViewCtx } from './layout.js';

export interface TodayStats {
  sessions: number;
  energyWh: number;
  revenueIdr: number;
}

const STATUS_ORDER = ['Available', 'Preparing', 'Charging', 'SuspendedEV', 'SuspendedEVSE', 'Finishing', 'Reserved', 'Unavailable', 'Faulted', 'Offline'] as const;

export function dashboardPage(ctx: ViewCtx, snapshot: LiveSnapshot, today: TodayStats, feed: readonly FeedItem[]): Html {
  const t = ctx.fmt.t;
  return page(ctx, {
    title: t('Dashboard'),
    active: 'dashboard',
    live: 'dashboard',
    scripts: ['charts.js'],
    body: html`
${kpis(ctx, snapshot.site, snapshot.at, today)}
<div class="grid grid-main">
  ${card(t('Site power, last 24 hours'), html`<div id="site-power-chart" class="chart" data-chart="site-power" data-src="${ctx.prefix}/data/site-power.json"
      data-label-power="${t('Power')}" data-label-limit="${t('Grid limit')}" data-error="${t('Chart data could not be loaded.')}"></div>`)}
  ${card(t('Connectors by status'), statusSummary(ctx, snapshot))}
</div>
<div class="grid grid-main">
  ${card(t('Running sessions'), runningSessions(ctx, snapshot), { cls: 'flush-card' })}
  ${card(t('Recent events'), feedList(ctx, feed))}
</div>`,
  });
}

export function kpis(ctx: ViewCtx, site: LiveSite, at: string, today: TodayStats, oob = false): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const ratio = site.gridLimitW ? site.powerW / site.gridLimitW : null;
  return html`<div id="site-kpis" class="kpis"${oob ? html` hx-swap-oob="true"` : null} data-power-w="${site.powerW}" data-limit-w="${site.gridLimitW ?? ''}" data-at="${at}">
  <div class="kpi"><span class="kpi-label">${icon('bolt')}${t('Power now')}</span><span class="kpi-value" id="kpi-power">${fmt.kw(site.powerW)}</span>
    ${site.gridLimitW
      ? html`<meter min="0" max="${site.gridLimitW}" low="${site.gridLimitW * 0.8}" high="${site.gridLimitW * 0.95}" optimum="0" value="${Math.min(site.powerW, site.gridLimitW)}"></meter>
      <span class="kpi-sub">${t('{p}% of the {limit} grid limit', { p: fmt.number((ratio ?? 0) * 100), limit: fmt.kw(site.gridLimitW) })}</span>`
      : html`<span class="kpi-sub">${t('No grid limit set')}</span>`}</div>
  <div class="kpi"><span class="kpi-label">${icon('plug')}${t('Sessions running')}</span><span class="kpi-value" id="kpi-sessions">${fmt.number(site.sessionsRunning)}</span><span class="kpi-sub">${t('{n} started today', { n: fmt.number(today.sessions) })}</span></div>
  <div class="kpi"><span class="kpi-label">${icon('stations')}${t('Charge points online')}</span><span class="kpi-value">${fmt.number(site.chargePointsOnline)} <small class="muted">/ ${fmt.number(site.chargePointsTotal)}</small></span><span class="kpi-sub">${site.chargePointsTotal - site.chargePointsOnline > 0 ? t('{n} offline', { n: site.chargePointsTotal - site.chargePointsOnline }) : t('All online')}</span></div>
  <div class="kpi"><span class="kpi-label">${icon('bolt')}${t('Energy today')}</span><span class="kpi-value">${fmt.kwh(today.energyWh)}</span><span class="kpi-sub">${t('Sessions started today')}</span></div>
  <div class="kpi"><span class="kpi-label">${icon('coin')}${t('Revenue today')}</span><span class="kpi-value">${fmt.idr(today.revenueIdr)}</span><span class="kpi-sub">${t('Incl. PPN, finished sessions')}</span></div>
</div>`;
}

export function statusCounts(snapshot: LiveSnapshot): Map<string, number> {
  const counts = new Map<string, number>();
  for (const cp of snapshot.chargePoints) {
    for (const c of cp.connectors) {
      if (c.connectorId === 0) continue;
      const key = cp.connected ? (c.status ?? 'Unavailable') : 'Offline';
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

export function statusSummary(ctx: ViewCtx, snapshot: LiveSnapshot, oob = false): Html {
  const t = ctx.fmt.t;
  const counts = statusCounts(snapshot);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return html`<div id="status-summary"${oob ? html` hx-swap-oob="true"` : null}>${total === 0
    ? emptyState(t('No connectors yet'), t('Connectors appear here when a charge point connects and reports its status.'), 'plug')
    : html`<div class="status-bars">${STATUS_ORDER.filter((s) => counts.has(s)).map(
        (s) => html`<div class="status-bar">${pill(s, t(s))}<meter min="0" max="${total}" value="${counts.get(s) ?? 0}"></meter><b class="num">${counts.get(s) ?? 0}</b></div>`,
      )}</div>`}</div>`;
}

export function runningSessions(ctx: ViewCtx, snapshot: LiveSnapshot, oob = false): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const rows = snapshot.chargePoints.flatMap((cp) => cp.connectors.filter((c) => c.session).map((c) => ({ cp, c, s: c.session! })));
  return html`<div id="running-sessions" class="flush"${oob ? html` hx-swap-oob="true"` : null}>${rows.length === 0
    ? emptyState(t('No session is running'), t('Sessions show here, live, as soon as a car starts charging.'), 'plug')
    : html`<div class="table-wrap"><table>
<thead><tr><th>${t('Charge point')}</th><th class="hide-sm">${t('Card')}</th><th class="num">${t('Power')}</th><th class="num">${t('Energy')}</th><th class="num">${t('Cost so far')}</th></tr></thead>
<tbody>${rows.map(
        ({ cp, c, s }) => html`<tr id="${domId('run', cp.id, c.connectorId)}" data-transaction-id="${s.transactionId}">
<td><a href="${ctx.prefix}/transactions/${s.transactionId}">${cp.id}</a> <span class="muted">#${c.connectorId}</span><div class="muted small">${t('since')} ${fmt.time(s.startedAt)}</div></td>
<td class="mono hide-sm"><span class="truncate">${s.idTag}</span></td>
<td class="num" data-field="power">${fmt.kw(s.powerW)}</td>
<td class="num" data-field="energy">${fmt.kwh(s.energyWh)}</td>
<td class="num">${fmt.idr(s.costIdr)}</td></tr>`,
      )}</tbody></table></div>`}</div>`;
}

const FEED_DOT: Record<string, string> = { boot: 'info', connected: 'ok', disconnected: 'warn', fault: 'bad', status: 'info', started: 'ok', stopped: 'info', refused: 'warn' };

export function feedItem(ctx: ViewCtx, item: FeedItem): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const where = html`<a href="${ctx.prefix}/stations/${encodeURIComponent(item.chargePointId)}">${item.chargePointId}</a>${item.connectorId ? html` <span class="muted">#${item.connectorId}</span>` : null}`;
  let what: Html;
  switch (item.kind) {
    case 'boot': what = html`${where} ${t('booted')} (${t(item.detail ?? '')})`; break;
    case 'connected': what = html`${where} ${t('connected')}`; break;
    case 'disconnected': what = html`${where} ${t('disconnected')}`; break;
    case 'fault': what = html`${where} ${t('reported a fault')}: <span class="mono">${item.detail ?? ''}</span>`; break;
    case 'status': what = html`${where} → ${t(item.detail ?? '')}`; break;
    case 'started': what = html`${where} ${t('started session')} <a href="${ctx.prefix}/transactions/${item.transactionId ?? ''}">#${item.transactionId ?? ''}</a> (<span class="mono">${item.idTag ?? ''}</span>)`; break;
    case 'refused': what = html`${where} ${t('refused card')} <span class="mono">${item.idTag ?? ''}</span> (${t(item.detail ?? '')})`; break;
    case 'stopped': what = html`${where} ${t('finished session')} <a href="${ctx.prefix}/transactions/${item.transactionId ?? ''}">#${item.transactionId ?? ''}</a>: ${fmt.kwh(item.energyWh ?? null)}${item.detail ? html` (${item.detail})` : null}`; break;
  }
  return html`<li><span class="dot dot-${FEED_DOT[item.kind] ?? 'info'}"></span><span class="when">${fmt.time(item.at)}</span><span class="what">${what}</span></li>`;
}

export function feedList(ctx: ViewCtx, feed: readonly FeedItem[]): Html {
  const t = ctx.fmt.t;
  return html`<ul class="feed" id="feed-list">${feed.length === 0 ? html`<li class="muted feed-empty">${t('No events since the server started.')}</li>` : feed.map((i) => feedItem(ctx, i))}</ul>`;
}

export function chargePointOnline(cp: LiveChargePoint | undefined): boolean {
  return Boolean(cp?.connected);
}
