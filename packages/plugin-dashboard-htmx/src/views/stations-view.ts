import type { ChargePointRow, LiveChargePoint } from '../core-api.js';
import { domId, html, raw, type Html } from '../html.js';
import { icon } from './icons.js';
import { card, csrfField, emptyState, page, pill, type ViewCtx } from './layout.js';
import { roleAllows } from '../auth/session-store.js';

export function connectorPills(ctx: ViewCtx, cp: LiveChargePoint): Html {
  const t = ctx.fmt.t;
  const conns = cp.connectors.filter((c) => c.connectorId > 0);
  if (conns.length === 0) return html`<span class="muted small">${t('none reported')}</span>`;
  return html`<span class="connectors">${conns.map((c) => {
    const status = cp.connected ? (c.status ?? 'Unavailable') : 'Offline';
    return pill(status, `#${c.connectorId} ${t(status)}`);
  })}</span>`;
}

export function onlinePill(ctx: ViewCtx, cp: { connected: boolean; registrationStatus: string | null }): Html {
  const t = ctx.fmt.t;
  if (!cp.connected) return pill('Offline', t('Offline'));
  if (cp.registrationStatus && cp.registrationStatus !== 'Accepted') return pill(cp.registrationStatus, t(cp.registrationStatus));
  return pill('Online', t('Online'));
}

export function profileLabel(ctx: ViewCtx, profile: number | null | undefined): string {
  const t = ctx.fmt.t;
  if (profile === 1) return t('1 · Basic auth');
  if (profile === 2) return t('2 · TLS + Basic auth');
  return t('0 · none');
}

export function stationRow(ctx: ViewCtx, cp: LiveChargePoint, stored: ChargePointRow | null, oob = false): Html {
  const { fmt } = ctx;
  return html`<tr id="${domId('cp', cp.id)}"${oob ? html` hx-swap-oob="true"` : null}>
<td><a class="strong" href="${ctx.prefix}/stations/${encodeURIComponent(cp.id)}">${cp.id}</a>${stored?.description ? html`<div class="muted small">${stored.description}</div>` : null}</td>
<td>${onlinePill(ctx, cp)}</td>
<td>${connectorPills(ctx, cp)}</td>
<td class="nowrap hide-sm" title="${fmt.dateTime(cp.lastSeenAt)}">${fmt.ago(cp.lastSeenAt)}</td>
<td class="hide-sm">${cp.vendor ?? '—'} ${cp.model ? html`<span class="muted">${cp.model}</span>` : null}</td>
<td class="hide-sm mono">${cp.firmwareVersion ?? '—'}</td>
<td class="hide-sm">${stored ? profileLabel(ctx, stored.securityProfile) : html`<span class="muted">—</span>`}</td>
</tr>`;
}

export function stationsPage(ctx: ViewCtx, live: readonly LiveChargePoint[], stored: Map<string, ChargePointRow>): Html {
  const t = ctx.fmt.t;
  const canRegister = roleAllows(ctx.session.role, 'admin');
  return page(ctx, {
    title: t('Stations'),
    active: 'stations',
    live: 'stations',
    actions: canRegister ? html`<a class="btn btn-primary" href="${ctx.prefix}/stations/new">${icon('plus')}<span class="hide-sm">${t('Register a charge point')}</span></a>` : null,
    body: card(
      null,
      html`<div class="table-wrap"><table>
<thead><tr><th>${t('Charge point')}</th><th>${t('Connection')}</th><th>${t('Connectors')}</th><th class="hide-sm">${t('Last heard')}</th><th class="hide-sm">${t('Vendor / model')}</th><th class="hide-sm">${t('Firmware')}</th><th class="hide-sm">${t('Security profile')}</th></tr></thead>
<tbody id="stations-body"><tr class="empty-row"><td colspan="7">${emptyState(t('No charge points yet'), t('Register a charge point, or let one connect when auto-registration is on. It shows here as soon as it is known.'), 'stations')}</td></tr>
${live.map((cp) => stationRow(ctx, cp, stored.get(cp.id) ?? null))}</tbody></table></div>`,
      { cls: 'flush-card' },
    ),
  });
}

export interface RegisterForm {
  values: { id?: string; securityProfile?: string; maxPowerKw?: string; description?: string };
  errors: Record<string, string>;
}

export function fieldError(errors: Record<string, string>, name: string): Html | null {
  return errors[name] ? html`<span class="field-error" id="${`err-${name}`}">${errors[name]}</span>` : null;
}

export function registerPage(ctx: ViewCtx, form: RegisterForm): Html {
  const t = ctx.fmt.t;
  const v = form.values;
  const e = form.errors;
  const profile = v.securityProfile ?? '1';
  return page(ctx, {
    title: t('Register a charge point'),
    active: 'stations',
    body: card(
      t('New charge point'),
      html`<form class="stack" method="post" action="${ctx.prefix}/stations" novalidate>
  ${csrfField(ctx)}
  ${e._form ? html`<div class="result-box bad">${e._form}</div>` : null}
  <div class="form-grid">
    <label class="field${e.id ? ' invalid' : ''}"><span>${t('Charge point id')}</span><input type="text" name="id" value="${v.id ?? ''}" required maxlength="48" placeholder="SPKLU-01"${e.id ? html` aria-invalid="true" aria-describedby="err-id"` : null}>${fieldError(e, 'id')}<small class="hint">${t('The identity the charger uses in its OCPP URL (case-sensitive).')}</small></label>
    <label class="field${e.securityProfile ? ' invalid' : ''}"><span>${t('Security profile')}</span><select name="securityProfile">
      ${['0', '1', '2'].map((p) => html`<option value="${p}"${p === profile ? html` selected` : null}>${profileLabel(ctx, Number(p))}</option>`)}
    </select>${fieldError(e, 'securityProfile')}<small class="hint">${t('Profiles 1 and 2 get a Basic-auth key, shown once after saving.')}</small></label>
    <label class="field${e.maxPowerKw ? ' invalid' : ''}"><span>${t('Maximum power (kW)')}</span><input type="number" name="maxPowerKw" step="0.1" min="0" value="${v.maxPowerKw ?? ''}" placeholder="22">${fieldError(e, 'maxPowerKw')}<small class="hint">${t('Optional; used by load management.')}</small></label>
    <label class="field${e.description ? ' invalid' : ''}"><span>${t('Description')}</span><input type="text" name="description" maxlength="255" value="${v.description ?? ''}" placeholder="${t('Parking lot, bay 1')}">${fieldError(e, 'description')}</label>
  </div>
  <div class="form-actions"><button class="btn btn-primary" type="submit">${t('Register')}</button><a class="btn btn-ghost" href="${ctx.prefix}/stations">${t('Cancel')}</a></div>
</form>`,
    ),
  });
}

export function registeredPage(ctx: ViewCtx, result: { id: string; securityProfile: number; authKey: string | null; ocppUrl: string; qrSvg: string | null }): Html {
  const t = ctx.fmt.t;
  return page(ctx, {
    title: t('Charge point registered'),
    active: 'stations',
    body: html`<div class="banner banner-ok">${t('{id} is registered.', { id: result.id })}</div>
${card(
  t('Connection details for the installer'),
  html`<div class="grid grid-2">
  <div class="stack">
    <dl class="props">
      <dt>${t('OCPP URL')}</dt><dd class="mono">${result.ocppUrl}</dd>
      <dt>${t('Charge point id')}</dt><dd class="mono">${result.id}</dd>
      <dt>${t('Security profile')}</dt><dd>${profileLabel(ctx, result.securityProfile)}</dd>
    </dl>
    ${result.authKey
      ? html`<div class="result-box warn"><strong>${t('Basic-auth key (AuthorizationKey): shown only this once.')}</strong> ${t('Copy it now or let the installer scan the QR code; only its hash is stored.')}</div>
      <div class="secret" id="auth-key">${result.authKey}</div>
      <div class="form-actions"><button type="button" class="btn" data-copy="auth-key" data-done="${t('Copied')}">${t('Copy key')}</button></div>`
      : html`<p class="muted">${t('Security profile 0: the charge point connects without a password.')}</p>`}
  </div>
  ${result.qrSvg ? html`<div><div class="qr" aria-label="${t('QR code with the connection details')}">${raw(result.qrSvg)}</div><p class="small muted">${t('The QR code holds the OCPP URL, the id and the key as JSON.')}</p></div>` : null}
</div>
<div class="form-actions"><a class="btn btn-primary" href="${ctx.prefix}/stations/${encodeURIComponent(result.id)}">${t('Open the charge point')}</a><a class="btn btn-ghost" href="${ctx.prefix}/stations">${t('Back to stations')}</a></div>`,
)}`,
  });
}
