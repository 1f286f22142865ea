import type { Fmt } from '../format.js';
import { html, type Html, type HtmlValue } from '../html.js';
import type { MlAdvice, MlAnomalies, MlAnswer, MlAvailability, MlLike, MlSegments } from '../ml-api.js';
import { card, emptyState, page, type ViewCtx } from './layout.js';

export interface InsightsData {
  status: ReturnType<MlLike['status']>;
  forecast: MlAnswer<unknown>;
  availability: MlAnswer<MlAvailability>;
  anomalies: MlAnswer<MlAnomalies>;
  segments: MlAnswer<MlSegments>;
  advice: MlAnswer<MlAdvice>;
}

function metricLine(fmt: Fmt, answer: MlAnswer<unknown>): Html | null {
  if (answer.status !== 'ok') return null;
  const m = answer.metric;
  const t = fmt.t;
  const num = (v: number | null) => (v === null ? '—' : fmt.number(v, Math.abs(v) < 10 ? 2 : 1));
  return html`<div class="metric small">
  <span>${m.name}: <b>${num(m.value)}</b></span>
  ${m.baseline ? html`<span>${t('baseline')} (${m.baseline.name}): <b>${num(m.baseline.value)}</b></span>` : null}
  ${m.beatsBaseline === true ? html`<span class="better">${t('better than the baseline')}</span>` : m.beatsBaseline === false ? html`<span class="worse">${t('not better than the baseline')}</span>` : null}
  <span class="muted">${t('trained')} ${fmt.dateTime(answer.training.trainedAt)} · ${fmt.number(answer.training.samples)} ${answer.training.unit}${answer.training.syntheticShare > 0 ? html` · <span class="tag tag-warn">${t('{p}% synthetic demo data', { p: fmt.number(answer.training.syntheticShare * 100) })}</span>` : null}</span>
  <span class="muted">${m.evaluatedOn}</span>
</div>`;
}

function notReady(ctx: ViewCtx, answer: MlAnswer<unknown>): Html | null {
  const t = ctx.fmt.t;
  if (answer.status === 'not-enough-data') return emptyState(t('Not enough data yet'), t('The model needs {need} {unit}; there are {have}. It trains again on its schedule.', { need: answer.need, unit: answer.unit, have: answer.have }), 'insights');
  if (answer.status === 'not-trained') return emptyState(t('Not trained yet'), answer.message, 'insights');
  return null;
}

function section(ctx: ViewCtx, title: string, answer: MlAnswer<unknown>, body: () => HtmlValue, cls?: string): Html {
  return card(title, html`${notReady(ctx, answer) ?? html`${metricLine(ctx.fmt, answer)}${body()}`}`, cls ? { cls } : {});
}

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function heatmap(ctx: ViewCtx, values: number[]): Html {
  const t = ctx.fmt.t;
  return html`<div class="heat" role="table" aria-label="${t('Share of connectors free, by hour of the week')}">
<span></span>${Array.from({ length: 24 }, (_, h) => html`<span class="heat-h">${h % 3 === 0 ? String(h).padStart(2, '0') : ''}</span>`)}
${DAYS.map((d, day) => html`<span class="heat-d">${t(d)}</span>${Array.from({ length: 24 }, (_, h) => {
  const v = values[day * 24 + h] ?? 0;
  const level = Math.max(0, Math.min(10, Math.round(v * 10)));
  return html`<span class="heat-c l${level}" title="${t(d)} ${String(h).padStart(2, '0')}:00 · ${ctx.fmt.number(v * 100)}% ${t('free')}"></span>`;
})}`)}
</div><p class="small muted">${t('Darker = more connectors in use. Hours in {tz}.', { tz: ctx.fmt.timeZone })}</p>`;
}

export function insightsPage(ctx: ViewCtx, data: InsightsData | null): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  if (!data) {
    return page(ctx, {
      title: t('AI Insights'),
      active: 'insights',
      body: card(null, emptyState(t('The ML plugin is not installed'), t('Install @charge-it/plugin-ml to see the load forecast, availability, anomalies, driver segments and load advice, computed from this site’s own sessions.'), 'insights')),
    });
  }
  const last = data.status.lastRun;
  return page(ctx, {
    title: t('AI Insights'),
    active: 'insights',
    scripts: ['charts.js'],
    body: html`
<div class="banner banner-info">${t('Every figure here is computed by the ML plugin from this site’s sessions, with its error measured against a naive baseline on held-back data.')}
${last ? html` ${t('Last training')}: ${fmt.dateTime(last.finishedAt)}${last.status !== 'ok' && last.message ? html` (${last.status}: ${last.message})` : null}.` : null}</div>
${section(ctx, t('Load forecast (kW, with 95% interval)'), data.forecast, () => html`<div class="chart" data-chart="forecast" data-src="${ctx.prefix}/insights/forecast.json"
  data-label-actual="${t('Actual')}" data-label-forecast="${t('Forecast')}" data-label-low="${t('Low')}" data-label-high="${t('High')}" data-empty="${t('No forecast points.')}" data-error="${t('Chart data could not be loaded.')}"></div>`)}
<div class="grid grid-2">
${section(ctx, t('Availability by hour of the week'), data.availability, () => (data.availability.status === 'ok' ? heatmap(ctx, data.availability.result.site) : null))}
${section(ctx, t('Load-optimisation advice'), data.advice, () => {
  if (data.advice.status !== 'ok') return null;
  const a = data.advice.result;
  if (a.sessions.length === 0) return html`<p class="muted">${t('No session is running; advice appears for running sessions.')}</p>`;
  return html`<p>${t('Power that could be freed now without missing expected energy')}: <b>${fmt.kw(a.totalFreeableW)}</b></p>
<div class="table-wrap"><table><thead><tr><th>${t('Session')}</th><th class="num">${t('Now')}</th><th class="num">${t('Suggested limit')}</th><th>${t('Why')}</th></tr></thead><tbody>
${a.sessions.map((s) => html`<tr><td><a href="${ctx.prefix}/transactions/${s.transactionId}">#${s.transactionId}</a> <span class="muted">${s.chargePointId} #${s.connectorId}</span></td><td class="num">${fmt.kw(s.powerNowW)}</td><td class="num">${s.suggestedLimitW === null ? '—' : fmt.kw(s.suggestedLimitW)}</td><td class="small">${s.reason}</td></tr>`)}
</tbody></table></div>`;
})}
</div>
<div class="grid grid-2">
${section(ctx, t('Unusual sessions'), data.anomalies, () => {
  if (data.anomalies.status !== 'ok') return null;
  const list = data.anomalies.result.anomalies;
  if (list.length === 0) return html`<p class="muted">${t('No unusual session among the {n} scored.', { n: data.anomalies.result.scored })}</p>`;
  return html`<div class="table-wrap"><table><thead><tr><th>${t('Session')}</th><th class="num">${t('Score')}</th><th>${t('Why')}</th></tr></thead><tbody>
${list.slice(0, 10).map((a) => html`<tr><td><a href="${ctx.prefix}/transactions/${a.transactionId}">#${a.transactionId}</a><div class="muted small">${a.chargePointId} · ${fmt.date(a.startedAt)}</div></td><td class="num">${fmt.number(a.score, 2)}</td><td class="small">${a.explanation}</td></tr>`)}
</tbody></table></div>`;
})}
${section(ctx, t('Driver segments'), data.segments, () => {
  if (data.segments.status !== 'ok') return null;
  return html`<div class="table-wrap"><table><thead><tr><th>${t('Segment')}</th><th class="num">${t('Cards')}</th><th class="num hide-sm">kWh</th><th class="num">${t('Usual start')}</th></tr></thead><tbody>
${data.segments.result.segments.map((s) => html`<tr><td><strong>${s.name}</strong><div class="muted small">${s.description}</div></td><td class="num">${s.size}</td><td class="num hide-sm">${fmt.number(s.centroid.kwhPerSession, 1)}</td><td class="num">${String(Math.round(s.centroid.preferredHour) % 24).padStart(2, '0')}:00</td></tr>`)}
</tbody></table></div>`;
})}
</div>`,
  });
}
