import type { LiveConnector, TransactionRow } from '../core-api.js';
import { html, type Html } from '../html.js';
import { card, emptyState, page, pill, type ViewCtx } from './layout.js';
import { FLAG_EXPLANATIONS } from './transactions-view.js';

/** The running numbers of an active session (swapped live over SSE). */
export function transactionLive(ctx: ViewCtx, transactionId: number, connector: LiveConnector | null, oob = false): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const s = connector?.session && connector.session.transactionId === transactionId ? connector.session : null;
  return html`<div id="tx-live"${oob ? html` hx-swap-oob="true"` : null} data-updated-at="${s?.updatedAt ?? (connector?.lastSession?.transactionId === transactionId ? connector.lastSession.stoppedAt : '')}">${s
    ? html`<div class="kpis">
  <div class="kpi"><span class="kpi-label">${t('Power')}</span><span class="kpi-value" data-field="power">${fmt.kw(s.powerW)}</span></div>
  <div class="kpi"><span class="kpi-label">${t('Energy')}</span><span class="kpi-value" data-field="energy">${fmt.kwh(s.energyWh)}</span></div>
  <div class="kpi"><span class="kpi-label">${t('Cost so far')}</span><span class="kpi-value">${fmt.idr(s.costIdr)}</span></div>
  <div class="kpi"><span class="kpi-label">${t('Duration')}</span><span class="kpi-value">${fmt.duration((Date.now() - Date.parse(s.startedAt)) / 1000)}</span><span class="kpi-sub">${t('SoC')}: ${s.socPercent === null ? '—' : `${fmt.number(s.socPercent)} %`}</span></div>
</div>`
    : connector?.lastSession?.transactionId === transactionId
      ? html`<div class="banner banner-info">${t('This session has just finished. Reload for the final figures.')}</div>`
      : null}</div>`;
}

export interface CostParts {
  energy: number; time: number; idle: number; net: number; tax: number; total: number;
  tariff?: { energyPricePerKwh: number; pricePerMinute: number; idleFeePerMinute: number; idleGraceMinutes: number; taxPercent: number };
  billedIdleMs?: number; durationMs?: number; energyWh?: number;
}

export function transactionDetailPage(ctx: ViewCtx, tx: TransactionRow, live: LiveConnector | null, cost: CostParts | null, costNote: string | null): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const active = tx.status === 'Active';
  const duration = tx.stopTimestamp ? (Date.parse(tx.stopTimestamp) - Date.parse(tx.startTimestamp ?? "")) / 1000 : null;
  return page(ctx, {
    title: `${t('Transaction')} #${tx.id}`,
    active: 'transactions',
    scripts: ['charts.js'],
    ...(active ? { live: `tx:${tx.chargePointId}:${tx.connectorId}:${tx.id}` } : {}),
    body: html`
${active ? transactionLive(ctx, tx.id, live) : null}
<div class="grid grid-main">
  ${card(t('Meter curves'), html`<div id="tx-chart" class="chart" data-chart="meter-curves" data-src="${ctx.prefix}/transactions/${tx.id}/series.json"
     data-label-power="${t('Power')}" data-label-energy="${t('Energy')}" data-label-soc="${t('SoC')}" data-error="${t('Chart data could not be loaded.')}"></div>`)}
  ${card(t('Session'), html`<dl class="props">
    <dt>${t('Status')}</dt><dd>${pill(tx.status, t(tx.status))}</dd>
    <dt>${t('Charge point')}</dt><dd><a href="${ctx.prefix}/stations/${encodeURIComponent(tx.chargePointId)}">${tx.chargePointId}</a> · ${t('connector')} #${tx.connectorId}</dd>
    <dt>${t('Card')}</dt><dd class="mono">${tx.idTag}</dd>
    <dt>${t('Started')}</dt><dd>${fmt.dateTime(tx.startTimestamp)}</dd>
    <dt>${t('Stopped')}</dt><dd>${fmt.dateTime(tx.stopTimestamp)}${tx.stopReason ? html` · ${tx.stopReason}` : null}</dd>
    <dt>${t('Duration')}</dt><dd>${fmt.duration(duration)}</dd>
    <dt>${t('Meter start')}</dt><dd>${fmt.kwh(tx.meterStart)}</dd>
    <dt>${t('Meter stop')}</dt><dd>${fmt.kwh(tx.meterStop)}</dd>
    <dt>${t('Energy')}</dt><dd><strong>${fmt.kwh(tx.energyWh)}</strong></dd>
  </dl>`)}
</div>
<div class="grid grid-2">
  ${card(t('Cost breakdown'), cost ? costTable(ctx, cost) : emptyState(t('No cost yet'), costNote ?? t('The cost is computed when the session stops.'), 'coin'))}
  ${card(t('Flags'), tx.flags.length === 0
    ? html`<p class="muted">${t('No flags: the charger’s data for this session passed every check.')}</p>`
    : html`<ul class="flag-list">${tx.flags.map((f) => html`<li><span class="tag tag-warn">${f}</span> ${t(FLAG_EXPLANATIONS[f] ?? 'A data check flagged this session.')}</li>`)}</ul>`)}
</div>`,
  });
}

function costTable(ctx: ViewCtx, c: CostParts): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const tariff = c.tariff;
  return html`<table class="breakdown"><tbody>
<tr><td>${t('Energy')}${tariff && c.energyWh !== undefined ? html` <span class="muted small">${fmt.kwh(c.energyWh)} × ${fmt.idr(tariff.energyPricePerKwh)}/kWh</span>` : null}</td><td>${fmt.idr(c.energy)}</td></tr>
<tr><td>${t('Time')}${tariff && c.durationMs !== undefined ? html` <span class="muted small">${fmt.duration(c.durationMs / 1000)} × ${fmt.idr(tariff.pricePerMinute)}/${t('min')}</span>` : null}</td><td>${fmt.idr(c.time)}</td></tr>
<tr><td>${t('Idle fee')}${tariff && c.billedIdleMs !== undefined ? html` <span class="muted small">${fmt.duration(c.billedIdleMs / 1000)} × ${fmt.idr(tariff.idleFeePerMinute)}/${t('min')} (${t('{n} min grace', { n: tariff.idleGraceMinutes })})</span>` : null}</td><td>${fmt.idr(c.idle)}</td></tr>
<tr><td>${t('Net')}</td><td>${fmt.idr(c.net)}</td></tr>
<tr><td>PPN${tariff ? html` <span class="muted small">${fmt.number(tariff.taxPercent, 1)} %</span>` : null}</td><td>${fmt.idr(c.tax)}</td></tr>
<tr class="total"><td>${t('Total')}</td><td>${fmt.idr(c.total)}</td></tr>
</tbody></table>`;
}
