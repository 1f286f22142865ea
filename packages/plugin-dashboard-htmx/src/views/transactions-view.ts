import type { TransactionRow } from '../core-api.js';
import { html, type Html } from '../html.js';
import { icon } from './icons.js';
import { card, emptyState, page, pill, type ViewCtx } from './layout.js';

/** What each transaction flag means, for operators (shown on the detail page and as tooltips). */
export const FLAG_EXPLANATIONS: Record<string, string> = {
  'clock-skew': 'The charger’s clock was ahead of the server’s by more than the tolerance. Both times are kept; durations use the charger’s clock.',
  'clock-implausible': 'The charger sent an impossible date (its clock was not set). The server’s receive time is kept beside it.',
  'sample-clock-skew': 'Some meter samples carried skewed timestamps; they are stored as sent and flagged.',
  'meter-start-negative': 'The charger reported a negative meter start. Billed energy never goes below zero.',
  'meter-stop-below-start': 'The meter stop value was below the start value (meter reset or replaced mid-session). Billed energy was set to zero: check the meter.',
  'register-reset': 'This session started below the previous session’s meter stop: the energy register was reset or the meter replaced.',
  'register-anomaly': 'A meter sample went below the start value or decreased during the session; the curve may show a drop.',
  'stop-before-start': 'The stop time is earlier than the start time (charger clock changed during the session).',
  'unknown-reservation': 'The session referred to a reservation id the system does not know.',
  'connector-available-while-active': 'The connector reported Available while this session was still open: the charger may have lost its StopTransaction. Flagged for review by the healing service.',
  synthetic: 'Demo history made by the synthetic-history generator, not by a charger.',
  imported: 'Imported from a CSV file of an earlier system, not recorded live.',
  'synthetic-anomaly': 'An anomaly the synthetic-history generator injected on purpose (to test anomaly detection).',
};

export interface TxFilter {
  chargePointId: string;
  idTag: string;
  from: string;
  to: string;
  status: string;
  flag: string;
  sort: string;
  order: 'asc' | 'desc';
  page: number;
}

export const PAGE_SIZE = 25;

export function filterQuery(f: TxFilter, overrides: Partial<TxFilter> = {}): string {
  const merged = { ...f, ...overrides };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(merged)) {
    if (v === '' || v === undefined || (k === 'page' && v === 1) || (k === 'sort' && v === 'startedAt') || (k === 'order' && v === 'desc')) continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export function transactionsPage(ctx: ViewCtx, f: TxFilter, result: { items: TransactionRow[]; total: number }, chargePoints: readonly string[], errors: Record<string, string>): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
  const sortLink = (key: string, label: string, cls = '') => {
    const active = f.sort === key;
    const order = active && f.order === 'desc' ? 'asc' : 'desc';
    return html`<th class="${cls}"><a class="${active ? 'sorted' : ''}" href="${ctx.prefix}/transactions${filterQuery(f, { sort: key, order, page: 1 })}">${label}${active ? (f.order === 'desc' ? ' ↓' : ' ↑') : ''}</a></th>`;
  };
  const errorFor = (name: string) => (errors[name] ? html`<span class="field-error">${errors[name]}</span>` : null);
  return page(ctx, {
    title: t('Transactions'),
    active: 'transactions',
    actions: html`<a class="btn" href="${ctx.prefix}/transactions.csv${filterQuery(f, { page: 1 })}">${icon('download')}<span class="hide-sm">${t('Export CSV')}</span></a>`,
    body: html`
${card(null, html`<form class="filters" method="get" action="${ctx.prefix}/transactions">
  <label class="field"><span>${t('Charge point')}</span><select name="chargePointId" data-autosubmit><option value="">${t('All')}</option>${chargePoints.map((id) => html`<option value="${id}"${id === f.chargePointId ? html` selected` : null}>${id}</option>`)}</select></label>
  <label class="field"><span>${t('idTag')}</span><input type="search" name="idTag" value="${f.idTag}" maxlength="20"></label>
  <label class="field${errors.from ? ' invalid' : ''}"><span>${t('From')}</span><input type="date" name="from" value="${f.from}">${errorFor('from')}</label>
  <label class="field${errors.to ? ' invalid' : ''}"><span>${t('To')}</span><input type="date" name="to" value="${f.to}">${errorFor('to')}</label>
  <label class="field"><span>${t('Status')}</span><select name="status" data-autosubmit><option value="">${t('All')}</option>${['Active', 'Completed'].map((s) => html`<option value="${s}"${s === f.status ? html` selected` : null}>${t(s)}</option>`)}</select></label>
  <label class="field wide"><span>${t('Flags')}</span><select name="flag" data-autosubmit><option value="">${t('All')}</option><option value="any"${f.flag === 'any' ? html` selected` : null}>${t('Any flag')}</option>${Object.keys(FLAG_EXPLANATIONS).map((k) => html`<option value="${k}"${k === f.flag ? html` selected` : null}>${k}</option>`)}</select></label>
  <input type="hidden" name="sort" value="${f.sort}"><input type="hidden" name="order" value="${f.order}">
  <div class="form-actions"><button class="btn btn-primary" type="submit">${t('Filter')}</button><a class="btn btn-ghost" href="${ctx.prefix}/transactions">${t('Reset')}</a></div>
</form>`)}
${card(null, result.items.length === 0
  ? emptyState(t('No transactions match'), t('Change the filters, or wait for the first session.'), 'transactions')
  : html`<div class="table-wrap"><table>
<thead><tr>${sortLink('id', '#')}${sortLink('startedAt', t('Started'))}<th>${t('Charge point')}</th><th class="hide-sm">${t('Card')}</th>${sortLink('energyWh', t('Energy'), 'num')}${sortLink('cost', t('Cost'), 'num')}<th class="hide-sm">${t('Duration')}</th><th>${t('Status')}</th></tr></thead>
<tbody>${result.items.map((r) => html`<tr>
<td><a href="${ctx.prefix}/transactions/${r.id}">${r.id}</a></td>
<td class="nowrap">${fmt.dateTime(r.startTimestamp)}</td>
<td><a href="${ctx.prefix}/stations/${encodeURIComponent(r.chargePointId)}">${r.chargePointId}</a> <span class="muted">#${r.connectorId}</span></td>
<td class="mono hide-sm">${r.idTag}</td>
<td class="num">${fmt.kwh(r.energyWh)}</td>
<td class="num">${fmt.idr(r.cost)}</td>
<td class="hide-sm nowrap">${r.stopTimestamp ? fmt.duration((Date.parse(r.stopTimestamp) - Date.parse(r.startTimestamp ?? "")) / 1000) : '—'}</td>
<td>${pill(r.status, t(r.status))}${r.flags.map((fl) => html` <span class="tag tag-warn" title="${t(FLAG_EXPLANATIONS[fl] ?? fl)}">${fl}</span>`)}</td>
</tr>`)}</tbody></table></div>
<div class="pager"><span class="muted">${t('{from}–{to} of {total}', { from: fmt.number((f.page - 1) * PAGE_SIZE + 1), to: fmt.number(Math.min(f.page * PAGE_SIZE, result.total)), total: fmt.number(result.total) })}</span>
<span class="btns">${f.page > 1 ? html`<a class="btn btn-sm" href="${ctx.prefix}/transactions${filterQuery(f, { page: f.page - 1 })}" rel="prev">← ${t('Previous')}</a>` : null}
<span class="muted small">${t('Page {p} of {n}', { p: f.page, n: pages })}</span>
${f.page < pages ? html`<a class="btn btn-sm" href="${ctx.prefix}/transactions${filterQuery(f, { page: f.page + 1 })}" rel="next">${t('Next')} →</a>` : null}</span></div>`, { cls: 'flush-card' })}`,
  });
}
