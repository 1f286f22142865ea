import { isCsmsError, type ReservationService } from '@charge-it/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { ChargePointRow, LiveStateService, QueryService } from '../core-api.js';
import { html, type Html } from '../html.js';
import { card, page, type ViewCtx } from '../views/layout.js';
import { field, isHtmx, sendHtml, state, type DashboardDeps } from '../http/context.js';
import { commandForm, commandsPanel, commandResult, type CommandChoices, type CommandOutcome } from '../views/commands-view.js';
import { errorPage } from '../views/error-page.js';
import { changeConfigForm, configurationPanel, stationDetailPage, type ConfigRead } from '../views/station-detail-view.js';
import { registeredPage, registerPage, stationsPage } from '../views/stations-view.js';
import { COMMANDS, FieldErrors, runCommand } from './station-commands.js';
import { withLiveFigures } from '../live/live-fill.js';

export function formValues(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (k === '_csrf') continue;
    const first: unknown = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') out[k] = first.trim();
  }
  return out;
}

/** Field problems of a CsmsError (details.fields), else null. */
export function fieldsOf(err: unknown): Record<string, string> | null {
  if (err instanceof FieldErrors) return err.fields;
  if (isCsmsError(err)) {
    const fields = (err.details as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields && Object.keys(fields).length) {
      // 'tariff.energyPricePerKwh' → 'energyPricePerKwh' (form fields are named by their last part)
      return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k.split('.').pop()!, v]));
    }
  }
  return null;
}

export function registerStationRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const live = () => deps.svc.live();
  const queries = () => deps.svc.queries();

  const choices = async (chargePointId: string): Promise<CommandChoices> => {
    const cp = live().chargePoint(chargePointId);
    const connectors = (cp?.connectors ?? []).map((c) => c.connectorId).filter((n) => n > 0);
    const transactions = (cp?.connectors ?? []).filter((c) => c.session).map((c) => ({ id: c.session!.transactionId, label: `#${c.session!.transactionId} · #${c.connectorId} · ${c.session!.idTag}` }));
    let reservations: CommandChoices['reservations'] = [];
    try {
      const list = await deps.svc.reservations().list({ chargePointId, status: ['Accepted', 'Pending'], limit: 50 });
      reservations = list.map((r) => ({ id: r.id, label: `#${r.id} · ${r.idTag}` }));
    } catch {
      reservations = [];
    }
    return { connectors: connectors.length ? connectors : [1], transactions, reservations };
  };

  app.get('/stations', async (request, reply) => {
    const { view } = state(request);
    const stored = new Map((await queries().chargePoints()).map((r) => [r.id, r] as const));
    const cps = live().snapshot().chargePoints;
    return sendHtml(reply, stationsPage(view, cps, stored));
  });

  app.get('/stations/new', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    return sendHtml(reply, registerPage(state(request).view, { values: {}, errors: {} }));
  });

  app.post('/stations', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { view, actor, fmt } = state(request);
    const values = formValues(request.body);
    const errors: Record<string, string> = {};
    if (!values.id) errors.id = fmt.t('is required');
    else if (!/^[A-Za-z0-9._:*+@|-]{1,48}$/.test(values.id)) errors.id = fmt.t('use 1–48 letters, digits or . _ - : * + @ |');
    const profile = Number(values.securityProfile ?? '');
    if (![0, 1, 2].includes(profile)) errors.securityProfile = fmt.t('must be 0, 1 or 2');
    const maxPowerKw = values.maxPowerKw ? Number(values.maxPowerKw) : null;
    if (maxPowerKw !== null && !(Number.isFinite(maxPowerKw) && maxPowerKw > 0 && maxPowerKw <= 1000)) errors.maxPowerKw = fmt.t('must be a number from 0.1 to 1000');
    if ((values.description ?? '').length > 255) errors.description = fmt.t('must be at most {n} characters', { n: 255 });
    if (Object.keys(errors).length) return sendHtml(reply, registerPage(view, { values, errors }), 422);
    try {
      const { authKey } = await deps.svc
        .chargePointRegistry()
        .register({ id: values.id!, securityProfile: profile as 0 | 1 | 2, maxPowerKw, description: values.description || null }, actor);
      const ocppUrl = ocppUrlFor(request, values.id!);
      const qrSvg = authKey
        ? await QRCode.toString(JSON.stringify({ url: ocppUrl, chargePointId: values.id, authorizationKey: authKey }), { type: 'svg', errorCorrectionLevel: 'M', margin: 1 })
        : null;
      return sendHtml(reply, registeredPage(view, { id: values.id!, securityProfile: profile, authKey, ocppUrl, qrSvg }));
    } catch (err) {
      const fields = fieldsOf(err);
      if (fields || isCsmsError(err)) return sendHtml(reply, registerPage(view, { values, errors: fields ?? { id: (err as Error).message } }), 422);
      throw err;
    }
  });

  app.get<{ Params: { id: string } }>('/stations/:id', async (request, reply) => {
    const { view, fmt } = state(request);
    const id = request.params.id;
    const [stored, history, sessions] = await Promise.all([
      queries().chargePoint(id),
      queries().statusHistory(id, { limit: 30 }),
      queries().transactions({ chargePointId: id, limit: 10, sort: 'startedAt', order: 'desc' }),
    ]);
    const cp = live().chargePoint(id);
    if (!cp && !stored) return sendHtml(reply, errorPage(view, 404, fmt.t('No charge point with this id.')), 404);
    const liveCp = cp ?? offlineFromStored(stored!);
    return sendHtml(reply, stationDetailPage(view, { live: liveCp, stored, history, sessions: withLiveFigures(sessions.items, live()), commands: commandsPanel(view, id, await choices(id)) }));
  });

  // GetConfiguration: a POST (it sends a call to the charger and writes the audit log).
  app.post<{ Params: { id: string } }>('/stations/:id/configuration/read', { config: { dashboardRole: 'operator' } }, async (request, reply) => {
    const { view, actor, fmt } = state(request);
    let read: ConfigRead;
    try {
      const answer = await deps.svc.commands().send(request.params.id, 'GetConfiguration', {}, { actor });
      read = {
        keys: (answer.configurationKey ?? []).map((k) => ({ key: k.key, readonly: k.readonly, ...(k.value !== undefined ? { value: k.value } : {}) })),
        unknownKeys: answer.unknownKey ?? [],
        at: new Date().toISOString(),
      };
    } catch (err) {
      read = { keys: [], unknownKeys: [], error: fmt.t(errorText(err)), at: new Date().toISOString() };
    }
    return sendHtml(reply, configurationPanel(view, request.params.id, read));
  });

  app.post<{ Params: { id: string } }>('/stations/:id/configuration', { config: { dashboardRole: 'operator' } }, async (request, reply) => {
    const { view, actor } = state(request);
    const values = formValues(request.body);
    const base = `${view.prefix}/stations/${encodeURIComponent(request.params.id)}/configuration`;
    const key = values.key ?? '';
    const value = values.value ?? '';
    const freeKey = !key || isHtmx(request) === false;
    const errors: Record<string, string> = {};
    if (!key) errors.key = view.fmt.t('is required');
    else if (key.length > 50) errors.key = view.fmt.t('must be at most {n} characters', { n: 50 });
    if (value.length > 500) errors.value = view.fmt.t('must be at most {n} characters', { n: 500 });
    if (Object.keys(errors).length) return sendHtml(reply, changeConfigForm(view, base, key, value, null, true, errors), 422);
    const outcome = await outcomeOf(() => deps.svc.commands().send(request.params.id, 'ChangeConfiguration', { key, value }, { actor }));
    return sendHtml(reply, changeConfigForm(view, base, key, value, commandResult(view, outcome), freeKey && !isHtmx(request)));
  });

  app.post<{ Params: { id: string; command: string } }>('/stations/:id/commands/:command', { config: { dashboardRole: 'operator' } }, async (request, reply) => {
    const { view, actor, fmt } = state(request);
    const spec = COMMANDS.find((c) => c.key === request.params.command);
    if (!spec) return sendHtml(reply, errorPage(view, 404, fmt.t('Unknown command.')), 404);
    const id = request.params.id;
    const values = formValues(request.body);
    let outcome: CommandOutcome | undefined;
    let errors: Record<string, string> | undefined;
    try {
      outcome = await outcomeOf(() => runCommand(deps.svc, id, spec, values, actor), true);
    } catch (err) {
      errors = Object.fromEntries(Object.entries((err as FieldErrors).fields).map(([k, v]) => [k, fmt.t(v)]));
    }
    const form = commandForm(view, id, spec, await choices(id), { values, ...(errors ? { errors } : {}), ...(outcome ? { outcome } : {}) });
    if (!isHtmx(request)) {
      return sendHtml(reply, stationCommandPage(view, id, form), errors ? 422 : 200);
    }
    return sendHtml(reply, form, errors ? 422 : 200);
  });
}

/** Without htmx (no JS): the command's form and result on a page of its own. */
function stationCommandPage(view: ViewCtx, id: string, form: Html): Html {
  return page(view, {
    title: `${view.fmt.t('Charge point')} ${id}`,
    active: 'stations',
    body: html`${card(view.fmt.t('Operator commands'), form)}<p><a href="${view.prefix}/stations/${encodeURIComponent(id)}">${view.fmt.t('Back to the charge point')}</a></p>`,
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs a call and describes how it ended (answer status, or the error) for the result box. */
async function outcomeOf(fn: () => Promise<unknown>, rethrowFieldErrors = false): Promise<CommandOutcome> {
  const at = new Date().toISOString();
  try {
    const response = await fn();
    const status = (response as { status?: string; outcome?: string } | null)?.status ?? (response as { outcome?: string } | null)?.outcome ?? 'ok';
    return { ok: true, status: String(status), message: 'answered', response, at: new Date().toISOString() };
  } catch (err) {
    if (rethrowFieldErrors && (err instanceof FieldErrors || fieldsOf(err))) throw err instanceof FieldErrors ? err : new FieldErrors(fieldsOf(err)!);
    const code = isCsmsError(err) ? err.code.replace(/^CSMS_ERR_/, '') : 'ERROR';
    return { ok: false, status: code, message: errorText(err), at };
  }
}

function ocppUrlFor(request: FastifyRequest, id: string): string {
  const scheme = request.protocol === 'https' ? 'wss' : 'ws';
  return `${scheme}://${request.host}/ocpp/${encodeURIComponent(id)}`;
}

function offlineFromStored(row: ChargePointRow) {
  return {
    id: row.id, connected: false, connectedSince: null, lastSeenAt: row.lastSeenAt, registrationStatus: (row.registrationStatus as 'Accepted' | null) ?? null,
    vendor: row.vendor, model: row.model, firmwareVersion: row.firmwareVersion,
    connectors: row.connectors.map((c) => ({ chargePointId: row.id, connectorId: c.connectorId, status: null, errorCode: c.errorCode, info: null, vendorErrorCode: null, since: null, session: null, lastSession: null })),
  };
}
