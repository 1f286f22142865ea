import { roleAllows, type Role } from '../auth/session-store.js';
import type { AdminUserView } from '../core-api.js';
import { html, type Html, type HtmlValue } from '../html.js';
import { icon } from './icons.js';
import { card, csrfField, emptyState, page, pill, roleLabel, type ViewCtx } from './layout.js';
import { fieldError } from './stations-view.js';

export type SettingsTab = 'general' | 'cards' | 'users' | 'api-keys';

export interface FormState {
  values: Record<string, string>;
  errors: Record<string, string>;
  /** A success note shown in the form ("Saved"). */
  notice?: string;
}

export const emptyForm = (values: Record<string, string> = {}): FormState => ({ values, errors: {} });

export function settingsTabs(ctx: ViewCtx, active: SettingsTab): Html {
  const t = ctx.fmt.t;
  const tabs: { key: SettingsTab; href: string; label: string; role: Role }[] = [
    { key: 'general', href: '/settings', label: 'Tariff & site', role: 'viewer' },
    { key: 'cards', href: '/settings/cards', label: 'RFID cards', role: 'operator' },
    { key: 'users', href: '/settings/users', label: 'Users & roles', role: 'admin' },
    { key: 'api-keys', href: '/settings/api-keys', label: 'API keys', role: 'admin' },
  ];
  return html`<nav class="tabs">${tabs.filter((x) => roleAllows(ctx.session.role, x.role)).map(
    (x) => html`<a href="${ctx.prefix}${x.href}" class="${x.key === active ? 'active' : ''}"${x.key === active ? html` aria-current="page"` : null}>${t(x.label)}</a>`,
  )}</nav>`;
}

export function settingsPage(ctx: ViewCtx, tab: SettingsTab, body: HtmlValue): Html {
  return page(ctx, { title: ctx.fmt.t('Settings'), active: 'settings', body: html`${settingsTabs(ctx, tab)}${body}` });
}

/** A text/number input with its label, hint and the error beside it. */
export function input(ctx: ViewCtx, form: FormState, name: string, label: string, options: { type?: string; step?: string; min?: string; max?: string; hint?: string; suffix?: string; disabled?: boolean; placeholder?: string; required?: boolean } = {}): Html {
  const t = ctx.fmt.t;
  const err = form.errors[name];
  return html`<label class="field${err ? ' invalid' : ''}"><span>${t(label)}${options.suffix ? html` <span class="muted">(${options.suffix})</span>` : null}</span>
<input type="${options.type ?? 'text'}" name="${name}" value="${form.values[name] ?? ''}"${options.step ? html` step="${options.step}"` : null}${options.min ? html` min="${options.min}"` : null}${options.max ? html` max="${options.max}"` : null}${options.placeholder ? html` placeholder="${options.placeholder}"` : null}${options.disabled ? html` disabled` : null}${options.required ? html` required` : null}${err ? html` aria-invalid="true" aria-describedby="err-${name}"` : null}>
${fieldError(form.errors, name)}${options.hint ? html`<small class="hint">${t(options.hint)}</small>` : null}</label>`;
}

function formShell(ctx: ViewCtx, id: string, action: string, form: FormState, body: HtmlValue, submit: string | null, extra: { confirm?: string } = {}): Html {
  const t = ctx.fmt.t;
  return html`<form class="stack" id="${id}" method="post" action="${ctx.prefix}${action}" hx-post="${ctx.prefix}${action}" hx-target="this" hx-swap="outerHTML" hx-disabled-elt="find button[type=submit]" novalidate${extra.confirm ? html` hx-confirm="${extra.confirm}"` : null}>
${csrfField(ctx)}
${form.notice ? html`<div class="result-box ok" role="status">${form.notice}</div>` : null}
${form.errors._form ? html`<div class="result-box bad" role="alert">${form.errors._form}</div>` : null}
${body}
${submit ? html`<div class="form-actions"><button class="btn btn-primary" type="submit">${t(submit)}</button><span class="spinner htmx-indicator"></span></div>` : null}
</form>`;
}

export function tariffForm(ctx: ViewCtx, form: FormState): Html {
  const admin = roleAllows(ctx.session.role, 'admin');
  return formShell(ctx, 'tariff-form', '/settings/tariff', form, html`<div class="form-grid">
  ${input(ctx, form, 'energyPricePerKwh', 'Energy price', { type: 'number', step: '1', min: '0', suffix: 'IDR/kWh', disabled: !admin, required: true })}
  ${input(ctx, form, 'pricePerMinute', 'Price per minute', { type: 'number', step: '1', min: '0', suffix: 'IDR', disabled: !admin, hint: '0 = none' })}
  ${input(ctx, form, 'idleFeePerMinute', 'Idle fee per minute', { type: 'number', step: '1', min: '0', suffix: 'IDR', disabled: !admin, hint: 'After charging ends while the car stays plugged in' })}
  ${input(ctx, form, 'idleGraceMinutes', 'Idle grace', { type: 'number', step: '1', min: '0', suffix: 'min', disabled: !admin })}
  ${input(ctx, form, 'taxPercent', 'PPN (VAT)', { type: 'number', step: '0.01', min: '0', max: '100', suffix: '%', disabled: !admin })}
</div><p class="small muted">${ctx.fmt.t('A session keeps the tariff it started with; changes apply to the next session.')}</p>`, admin ? 'Save tariff' : null);
}

export function siteForm(ctx: ViewCtx, form: FormState): Html {
  const admin = roleAllows(ctx.session.role, 'admin');
  return formShell(ctx, 'site-form', '/settings/site', form, html`<div class="form-grid">
  ${input(ctx, form, 'maxGridPowerKw', 'Site grid limit', { type: 'number', step: '0.1', min: '0', suffix: 'kW', disabled: !admin, hint: 'Empty = no limit (no load management)' })}
  ${input(ctx, form, 'minPowerPerConnectorKw', 'Minimum per session', { type: 'number', step: '0.1', min: '0', suffix: 'kW', disabled: !admin })}
  ${input(ctx, form, 'defaultChargePointMaxKw', 'Default charger maximum', { type: 'number', step: '0.1', min: '0', suffix: 'kW', disabled: !admin, hint: 'For chargers whose maximum is unknown' })}
</div><p class="small muted">${ctx.fmt.t('Load management divides the limit among running sessions and sends charging profiles at once.')}</p>`, admin ? 'Save grid limit' : null);
}

export function maintenanceForm(ctx: ViewCtx, on: boolean, form: FormState): Html {
  const t = ctx.fmt.t;
  const admin = roleAllows(ctx.session.role, 'admin');
  return formShell(ctx, 'maintenance-form', '/settings/maintenance', form, html`
<p>${on ? pill('Faulted', t('Maintenance mode is ON')) : pill('Available', t('Maintenance mode is off'))}</p>
<p class="small muted">${t('On: every connector is set Inoperative (also chargers that connect later); running sessions are not interrupted. Off: connectors return to Operative.')}</p>
<input type="hidden" name="enabled" value="${on ? 'false' : 'true'}">
${admin ? html`<div class="form-actions"><button class="btn ${on ? 'btn-primary' : 'btn-danger'}" type="submit">${on ? t('Turn maintenance off') : t('Turn maintenance on')}</button></div>` : null}`, null, on ? {} : { confirm: t('Set every connector Inoperative?') });
}

export function generalSettings(ctx: ViewCtx, forms: { tariff: FormState; site: FormState; maintenance: { on: boolean; form: FormState } }): Html {
  const t = ctx.fmt.t;
  return html`<div class="grid grid-2">
${card(t('Tariff'), tariffForm(ctx, forms.tariff))}
<div class="grid">
${card(t('Site grid limit'), siteForm(ctx, forms.site))}
${card(t('Maintenance mode'), maintenanceForm(ctx, forms.maintenance.on, forms.maintenance.form))}
</div>
</div>`;
}

// ——— RFID cards ———
export interface IdTagRow { idTag: string; status: string; parentIdTag: string | null; expiryDate: string | null; ownerName: string | null; updatedAt: string | null }

export function cardsSettings(ctx: ViewCtx, data: { items: IdTagRow[]; total: number; search: string; status: string; page: number }, addForm: FormState, importResult: Html | null): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const admin = roleAllows(ctx.session.role, 'admin');
  const pages = Math.max(1, Math.ceil(data.total / 50));
  const q = (p: number) => `?${new URLSearchParams({ ...(data.search ? { search: data.search } : {}), ...(data.status ? { status: data.status } : {}), ...(p > 1 ? { page: String(p) } : {}) }).toString()}`;
  return html`<div class="grid grid-main">
${card(t('RFID cards (idTags)'), html`<form class="filters" method="get" action="${ctx.prefix}/settings/cards">
  <label class="field wide"><span>${t('Search')}</span><input type="search" name="search" value="${data.search}" placeholder="${t('idTag or owner')}"></label>
  <label class="field"><span>${t('Status')}</span><select name="status" data-autosubmit><option value="">${t('All')}</option>${['Accepted', 'Blocked', 'Expired', 'Invalid'].map((s) => html`<option value="${s}"${s === data.status ? html` selected` : null}>${t(s)}</option>`)}</select></label>
  <button class="btn" type="submit">${t('Search')}</button>
</form>
<div class="table-wrap" id="cards-table">${data.items.length === 0
  ? emptyState(t('No cards'), t('Add a card, or import a CSV file with idTag,status,ownerName,parentIdTag,expiryDate.'), 'card')
  : html`<table><thead><tr><th>idTag</th><th>${t('Status')}</th><th>${t('Owner')}</th><th class="hide-sm">${t('Parent')}</th><th class="hide-sm">${t('Expires')}</th>${admin ? html`<th></th>` : null}</tr></thead><tbody>
${data.items.map((r) => cardRow(ctx, r))}</tbody></table>`}</div>
${pages > 1 ? html`<div class="pager"><span class="muted">${t('{n} cards', { n: fmt.number(data.total) })}</span><span class="btns">${data.page > 1 ? html`<a class="btn btn-sm" href="${ctx.prefix}/settings/cards${q(data.page - 1)}">← ${t('Previous')}</a>` : null}<span class="muted small">${t('Page {p} of {n}', { p: data.page, n: pages })}</span>${data.page < pages ? html`<a class="btn btn-sm" href="${ctx.prefix}/settings/cards${q(data.page + 1)}">${t('Next')} →</a>` : null}</span></div>` : null}`)}
<div class="grid">
${admin ? card(t('Add a card'), addCardForm(ctx, addForm)) : null}
${admin ? card(t('Import from CSV'), importForm(ctx, importResult)) : null}
</div>
</div>`;
}

export function cardRow(ctx: ViewCtx, r: IdTagRow): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  const admin = roleAllows(ctx.session.role, 'admin');
  const base = `${ctx.prefix}/settings/cards/${encodeURIComponent(r.idTag)}`;
  const rowId = `card-${Buffer.from(r.idTag).toString('hex')}`;
  return html`<tr id="${rowId}">
<td class="mono">${r.idTag}</td><td>${pill(r.status, t(r.status))}</td><td>${r.ownerName ?? html`<span class="muted">—</span>`}</td>
<td class="mono hide-sm">${r.parentIdTag ?? '—'}</td><td class="hide-sm nowrap">${r.expiryDate ? fmt.date(r.expiryDate) : '—'}</td>
${admin ? html`<td class="nowrap">
  <form class="inline" method="post" action="${base}/${r.status === 'Blocked' ? 'unblock' : 'block'}" hx-post="${base}/${r.status === 'Blocked' ? 'unblock' : 'block'}" hx-target="#${rowId}" hx-swap="outerHTML">${csrfField(ctx)}<button class="btn btn-sm${r.status === 'Blocked' ? '' : ' btn-danger'}" type="submit">${r.status === 'Blocked' ? t('Unblock') : t('Block')}</button></form>
  <a class="btn btn-sm btn-ghost" href="${base}">${t('Edit')}</a>
</td>` : null}</tr>`;
}

export function addCardForm(ctx: ViewCtx, form: FormState, action = '/settings/cards', submit = 'Add card', lockId = false): Html {
  const t = ctx.fmt.t;
  const status = form.values.status || 'Accepted';
  return formShell(ctx, lockId ? 'edit-card-form' : 'add-card-form', action, form, html`<div class="form-grid">
  ${lockId ? html`<input type="hidden" name="idTag" value="${form.values.idTag ?? ''}">` : input(ctx, form, 'idTag', 'idTag', { placeholder: 'A1B2C3D4', hint: 'UID of the card, up to 20 characters', required: true })}
  <label class="field${form.errors.status ? ' invalid' : ''}"><span>${t('Status')}</span><select name="status">${['Accepted', 'Blocked', 'Expired', 'Invalid'].map((s) => html`<option value="${s}"${s === status ? html` selected` : null}>${t(s)}</option>`)}</select>${fieldError(form.errors, 'status')}</label>
  ${input(ctx, form, 'ownerName', 'Owner')}
  ${input(ctx, form, 'parentIdTag', 'Parent idTag', { hint: 'Group card (optional)' })}
  ${input(ctx, form, 'expiryDate', 'Expires on', { type: 'date', hint: 'Empty = never' })}
</div>`, submit);
}

export function importForm(ctx: ViewCtx, result: Html | null): Html {
  const t = ctx.fmt.t;
  return html`<form class="stack" id="import-form" method="post" action="${ctx.prefix}/settings/cards/import" hx-post="${ctx.prefix}/settings/cards/import" hx-target="this" hx-swap="outerHTML" hx-disabled-elt="find button[type=submit]">
${csrfField(ctx)}
<p class="small muted">${t('One card per line: idTag,status,ownerName,parentIdTag,expiryDate (a header line is allowed). Existing cards are updated.')}</p>
<label class="field"><span>${t('CSV file')}</span><input type="file" accept=".csv,text/csv,text/plain" data-into="csv-text"></label>
<label class="field"><span>${t('or paste CSV')}</span><textarea name="csv" id="csv-text" rows="6" placeholder="idTag,status,ownerName&#10;A1B2C3D4,Accepted,Budi"></textarea></label>
${result}
<div class="form-actions"><button class="btn btn-primary" type="submit">${icon('card')}${t('Import')}</button></div>
</form>`;
}

export function importResultBox(ctx: ViewCtx, r: { created: number; updated: number; errors: { line: number; message: string }[] }): Html {
  const t = ctx.fmt.t;
  return html`<div class="result-box ${r.errors.length ? 'warn' : 'ok'}" role="status"><strong>${t('{c} created, {u} updated, {e} lines refused', { c: r.created, u: r.updated, e: r.errors.length })}</strong>
${r.errors.length ? html`<ul class="flag-list">${r.errors.slice(0, 50).map((e) => html`<li>${t('Line {n}', { n: e.line })}: ${e.message}</li>`)}</ul>` : null}</div>`;
}

// ——— Users ———
export function usersSettings(ctx: ViewCtx, users: AdminUserView[], addForm: FormState, rowResult: { username: string; box: Html } | null): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  return html`<div class="grid grid-main">
${card(t('Dashboard users'), html`<div class="table-wrap"><table><thead><tr><th>${t('Username')}</th><th>${t('Role')}</th><th class="hide-sm">${t('Created')}</th><th></th></tr></thead><tbody>
${users.map((u) => {
  const base = `${ctx.prefix}/settings/users/${encodeURIComponent(u.username)}`;
  const self = u.username.toLowerCase() === ctx.session.username.toLowerCase();
  return html`<tr><td><strong>${u.username}</strong>${self ? html` <span class="tag">${t('you')}</span>` : null}${rowResult?.username === u.username ? rowResult.box : null}</td>
<td><form class="inline" method="post" action="${base}/role">${csrfField(ctx)}<select name="role" data-autosubmit aria-label="${t('Role')}"${self ? html` disabled` : null}>${(['viewer', 'operator', 'admin'] as const).map((r) => html`<option value="${r}"${r === u.role ? html` selected` : null}>${t(roleLabel(r))}</option>`)}</select></form></td>
<td class="hide-sm nowrap">${fmt.date(u.createdAt ?? null)}</td>
<td class="nowrap">${self ? null : html`<form class="inline" method="post" action="${base}/delete" hx-post="${base}/delete" hx-confirm="${t('Remove {u}? Their sessions end at once.', { u: u.username })}" hx-target="closest tr" hx-swap="outerHTML">${csrfField(ctx)}<button class="btn btn-sm btn-danger" type="submit">${t('Remove')}</button></form>`}</td></tr>`;
})}</tbody></table></div>`, { cls: 'flush-card' })}
<div class="grid">
${card(t('Add a user'), formShell(ctx, 'add-user-form', '/settings/users', addForm, html`<div class="form-grid">
  ${input(ctx, addForm, 'username', 'Username', { required: true, hint: '3–64 letters, digits, . _ - @' })}
  ${input(ctx, addForm, 'password', 'Password', { type: 'password', required: true, hint: 'At least 10 characters' })}
  <label class="field"><span>${t('Role')}</span><select name="role">${(['viewer', 'operator', 'admin'] as const).map((r) => html`<option value="${r}"${r === (addForm.values.role || 'viewer') ? html` selected` : null}>${t(roleLabel(r))}</option>`)}</select></label>
</div><p class="small muted">${t('Viewer: sees stations, sessions and settings. Operator: also sends commands to chargers and reads the cards and the audit log. Administrator: also changes settings, cards, users and keys.')}</p>`, 'Add user'))}
${card(t('Change your password'), passwordForm(ctx, emptyForm()))}
</div></div>`;
}

export function passwordForm(ctx: ViewCtx, form: FormState): Html {
  return formShell(ctx, 'password-form', '/settings/password', form, html`<div class="form-grid">
  ${input(ctx, form, 'current', 'Current password', { type: 'password', required: true })}
  ${input(ctx, form, 'password', 'New password', { type: 'password', required: true, hint: 'At least 10 characters' })}
</div>`, 'Change password');
}

// ——— API keys ———
export interface ApiKeyRow { id: number; name: string; prefix: string; role: string; createdAt?: string | Date | null; lastUsedAt?: string | Date | null; revokedAt?: string | Date | null }

export function apiKeysSettings(ctx: ViewCtx, keys: ApiKeyRow[], addForm: FormState, created: { name: string; key: string } | null): Html {
  const { fmt } = ctx;
  const t = fmt.t;
  return html`${created ? html`<div class="card"><div class="card-body stack"><div class="result-box warn"><strong>${t('New API key “{name}”: shown only this once.', { name: created.name })}</strong> ${t('Store it now; only its hash is kept.')}</div><div class="secret" id="new-api-key">${created.key}</div><div><button type="button" class="btn" data-copy="new-api-key" data-done="${t('Copied')}">${t('Copy key')}</button></div></div></div>` : null}
<div class="grid grid-main">
${card(t('API keys'), keys.length === 0 ? emptyState(t('No API keys'), t('Create a key for an integration of the REST API (/api/v1).'), 'key') : html`<div class="table-wrap"><table><thead><tr><th>${t('Name')}</th><th>${t('Role')}</th><th class="hide-sm">${t('Key prefix')}</th><th class="hide-sm">${t('Last used')}</th><th>${t('Status')}</th><th></th></tr></thead><tbody>
${keys.map((k) => html`<tr><td><strong>${k.name}</strong><div class="muted small">${fmt.date(k.createdAt)}</div></td><td>${t(roleLabel(k.role as Role))}</td><td class="mono hide-sm">${k.prefix}</td><td class="hide-sm">${k.lastUsedAt ? fmt.ago(k.lastUsedAt instanceof Date ? k.lastUsedAt : new Date(k.lastUsedAt)) : '—'}</td>
<td>${k.revokedAt ? pill('Blocked', t('Revoked')) : pill('Accepted', t('Active'))}</td>
<td>${k.revokedAt ? null : html`<form class="inline" method="post" action="${ctx.prefix}/settings/api-keys/${k.id}/revoke" hx-confirm="${t('Revoke {name}? Integrations using it stop working.', { name: k.name })}">${csrfField(ctx)}<button class="btn btn-sm btn-danger" type="submit">${t('Revoke')}</button></form>`}</td></tr>`)}
</tbody></table></div>`, { cls: 'flush-card' })}
${card(t('Create an API key'), html`<form class="stack" method="post" action="${ctx.prefix}/settings/api-keys" novalidate>${csrfField(ctx)}
${addForm.errors._form ? html`<div class="result-box bad">${addForm.errors._form}</div>` : null}
<div class="form-grid">${input(ctx, addForm, 'name', 'Name', { required: true, placeholder: 'billing-export' })}
<label class="field"><span>${t('Role')}</span><select name="role">${(['viewer', 'operator', 'admin'] as const).map((r) => html`<option value="${r}"${r === (addForm.values.role || 'viewer') ? html` selected` : null}>${t(roleLabel(r))}</option>`)}</select></label></div>
<div class="form-actions"><button class="btn btn-primary" type="submit">${t('Create key')}</button></div></form>`)}
</div>`;
}
