import type { AuditRow } from '../core-api.js';
import { html, type Html } from '../html.js';
import { card, emptyState, page, pill, type ViewCtx } from './layout.js';

export interface AuditFilter { actor: string; action: string; chargePointId: string; page: number }
export const AUDIT_PAGE = 50;

function short(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

export function auditPage(ctx: ViewCtx, f: AuditFilter, result: { items: AuditRow[]; total: number }): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const pages = Math.max(1, Math.ceil(result.total / AUDIT_PAGE));
  const q = (p: number) => {
    const params = new URLSearchParams();
    if (f.actor) params.set('actor', f.actor);
    if (f.action) params.set('action', f.action);
    if (f.chargePointId) params.set('chargePointId', f.chargePointId);
    if (p > 1) params.set('page', String(p));
    const s = params.toString();
    return s ? `?${s}` : '';
  };
  return page(ctx, {
    title: t('Audit log'),
    active: 'audit',
    body: html`${card(null, html`<form class="filters" method="get" action="${ctx.prefix}/audit">
  <label class="field wide"><span>${t('Who')}</span><input type="search" name="actor" value="${f.actor}" placeholder="dashboard:admin"></label>
  <label class="field"><span>${t('Action')}</span><input type="search" name="action" value="${f.action}" placeholder="Reset"></label>
  <label class="field"><span>${t('Charge point')}</span><input type="search" name="chargePointId" value="${f.chargePointId}"></label>
  <div class="form-actions"><button class="btn btn-primary" type="submit">${t('Filter')}</button><a class="btn btn-ghost" href="${ctx.prefix}/audit">${t('Reset')}</a></div>
</form>`)}
${card(null, result.items.length === 0 ? emptyState(t('Nothing in the audit log'), t('Every command, setting change, card and user change is recorded here.'), 'audit') : html`<div class="table-wrap"><table>
<thead><tr><th>${t('Time')}</th><th>${t('Who')}</th><th>${t('Action')}</th><th>${t('Charge point')}</th><th>${t('Outcome')}</th><th class="hide-sm">${t('Details')}</th></tr></thead>
<tbody>${result.items.map((r) => html`<tr><td class="nowrap">${fmt.dateTime(r.at)}</td><td class="mono small">${r.actor}</td><td><strong>${r.action}</strong></td>
<td>${r.chargePointId ? html`<a href="${ctx.prefix}/stations/${encodeURIComponent(r.chargePointId)}">${r.chargePointId}</a>` : html`<span class="muted">—</span>`}</td>
<td>${pill(/^(ok|accepted)$/i.test(r.outcome) ? 'ok' : /rejected|error|timeout|offline|invalid|not-allowed/i.test(r.outcome) ? 'Faulted' : 'Pending', r.outcome)}</td>
<td class="hide-sm mono small"><span class="truncate" title="${short(r.request)}">${short(r.request)}</span></td></tr>`)}</tbody></table></div>
<div class="pager"><span class="muted">${t('{n} entries', { n: fmt.number(result.total) })}</span><span class="btns">${f.page > 1 ? html`<a class="btn btn-sm" href="${ctx.prefix}/audit${q(f.page - 1)}">← ${t('Previous')}</a>` : null}<span class="muted small">${t('Page {p} of {n}', { p: f.page, n: pages })}</span>${f.page < pages ? html`<a class="btn btn-sm" href="${ctx.prefix}/audit${q(f.page + 1)}">${t('Next')} →</a>` : null}</span></div>`, { cls: 'flush-card' })}`,
  });
}
