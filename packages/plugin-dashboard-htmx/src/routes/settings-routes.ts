import { isCsmsError, type Settings } from '@charge-it/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminRole, AdminUserService } from '../core-api.js';
import type { Html } from '../html.js';
import { isHtmx, sendHtml, state, toastHeader, type DashboardDeps } from '../http/context.js';
import { localDateString, parseLocalDate } from '../time.js';
import { errorPage } from '../views/error-page.js';
import { card } from '../views/layout.js';
import {
  addCardForm, apiKeysSettings, cardRow, cardsSettings, emptyForm, generalSettings, importForm, importResultBox, maintenanceForm,
  passwordForm, settingsPage, siteForm, tariffForm, usersSettings, type ApiKeyRow, type FormState, type IdTagRow,
} from '../views/settings-view.js';
import { fieldsOf, formValues } from './station-routes.js';

const numberField = (values: Record<string, string>, name: string, errors: Record<string, string>, t: (s: string) => string, opts: { integer?: boolean; allowEmpty?: boolean } = {}): number | null => {
  const raw = values[name] ?? '';
  if (raw === '') {
    if (opts.allowEmpty) return null;
    errors[name] = t('is required');
    return 0;
  }
  const n = Number(raw.replace(',', '.'));
  if (!Number.isFinite(n)) errors[name] = t('must be a number');
  else if (opts.integer && !Number.isInteger(n)) errors[name] = t('must be a whole number');
  return n;
};

/** Translates the core's field messages and maps unknown field names to the form. */
function translateFields(fields: Record<string, string>, t: (s: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, t(v)]));
}

export function registerSettingsRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const settings = () => deps.svc.settings();
  const idTags = () => deps.svc.idTags();
  const users = () => deps.svc.adminUsers();
  const apiKeys = () => deps.svc.apiKeys();

  const tariffValues = (s: Settings): Record<string, string> => Object.fromEntries(Object.entries(s.tariff).map(([k, v]) => [k, String(v)]));
  const siteValues = (s: Settings): Record<string, string> => ({
    maxGridPowerKw: s.site.maxGridPowerKw === null ? '' : String(s.site.maxGridPowerKw),
    minPowerPerConnectorKw: String(s.site.minPowerPerConnectorKw),
    defaultChargePointMaxKw: String(s.site.defaultChargePointMaxKw),
  });

  /** htmx: the form alone; a plain POST: the whole general page with that form's state. */
  const respondGeneral = async (request: FastifyRequest, reply: FastifyReply, which: 'tariff' | 'site' | 'maintenance', form: FormState, status: number) => {
    const { view } = state(request);
    const current = await settings().all();
    if (isHtmx(request)) {
      const fragment = which === 'tariff' ? tariffForm(view, form) : which === 'site' ? siteForm(view, form) : maintenanceForm(view, current.maintenanceMode, form);
      if (status === 200) reply.header('hx-trigger', toastHeader(form.notice ?? ''));
      return sendHtml(reply, fragment, status);
    }
    return sendHtml(reply, settingsPage(view, 'general', generalSettings(view, {
      tariff: which === 'tariff' ? form : emptyForm(tariffValues(current)),
      site: which === 'site' ? form : emptyForm(siteValues(current)),
      maintenance: { on: current.maintenanceMode, form: which === 'maintenance' ? form : emptyForm() },
    })), status);
  };

  app.get('/settings', async (request, reply) => {
    const { view } = state(request);
    const s = await settings().all();
    return sendHtml(reply, settingsPage(view, 'general', generalSettings(view, { tariff: emptyForm(tariffValues(s)), site: emptyForm(siteValues(s)), maintenance: { on: s.maintenanceMode, form: emptyForm() } })));
  });

  app.post('/settings/tariff', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { actor, fmt } = state(request);
    const values = formValues(request.body);
    const errors: Record<string, string> = {};
    const tariff = {
      energyPricePerKwh: numberField(values, 'energyPricePerKwh', errors, fmt.t, { integer: true })!,
      pricePerMinute: numberField(values, 'pricePerMinute', errors, fmt.t, { integer: true })!,
      idleFeePerMinute: numberField(values, 'idleFeePerMinute', errors, fmt.t, { integer: true })!,
      idleGraceMinutes: numberField(values, 'idleGraceMinutes', errors, fmt.t, { integer: true })!,
      taxPercent: numberField(values, 'taxPercent', errors, fmt.t)!,
    };
    if (Object.keys(errors).length === 0) {
      try {
        await settings().set('tariff', tariff, actor);
        return respondGeneral(request, reply, 'tariff', { values, errors: {}, notice: fmt.t('Tariff saved. It applies from the next session.') }, 200);
      } catch (err) {
        const fields = fieldsOf(err);
        if (!fields) throw err;
        Object.assign(errors, translateFields(fields, fmt.t));
      }
    }
    return respondGeneral(request, reply, 'tariff', { values, errors }, 422);
  });

  app.post('/settings/site', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { actor, fmt } = state(request);
    const values = formValues(request.body);
    const errors: Record<string, string> = {};
    const site = {
      maxGridPowerKw: numberField(values, 'maxGridPowerKw', errors, fmt.t, { allowEmpty: true }),
      minPowerPerConnectorKw: numberField(values, 'minPowerPerConnectorKw', errors, fmt.t)!,
      defaultChargePointMaxKw: numberField(values, 'defaultChargePointMaxKw', errors, fmt.t)!,
    };
    if (Object.keys(errors).length === 0) {
      try {
        await settings().set('site', site, actor);
        return respondGeneral(request, reply, 'site', { values, errors: {}, notice: fmt.t('Grid limit saved; load management applies it now.') }, 200);
      } catch (err) {
        const fields = fieldsOf(err);
        if (!fields) throw err;
        Object.assign(errors, translateFields(fields, fmt.t));
      }
    }
    return respondGeneral(request, reply, 'site', { values, errors }, 422);
  });

  app.post('/settings/maintenance', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { actor, fmt } = state(request);
    const enabled = formValues(request.body).enabled;
    if (enabled !== 'true' && enabled !== 'false') return respondGeneral(request, reply, 'maintenance', { values: {}, errors: { _form: fmt.t('must be true or false') } }, 422);
    await settings().set('maintenanceMode', enabled === 'true', actor);
    return respondGeneral(request, reply, 'maintenance', { values: {}, errors: {}, notice: enabled === 'true' ? fmt.t('Maintenance mode on: connectors are being set Inoperative.') : fmt.t('Maintenance mode off: connectors are being set Operative.') }, 200);
  });

  // ——— RFID cards ———
  const cardsPage = async (request: FastifyRequest, reply: FastifyReply, addForm: FormState, importResult: Html | null, status = 200) => {
    const { view } = state(request);
    const query = request.query as Record<string, string | undefined>;
    const search = (query.search ?? '').trim().slice(0, 64);
    const statusFilter = ['Accepted', 'Blocked', 'Expired', 'Invalid'].includes(query.status ?? '') ? query.status! : '';
    const pageNo = Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1);
    const list = await idTags().list({ ...(search ? { search } : {}), ...(statusFilter ? { status: statusFilter } : {}), limit: 50, offset: (pageNo - 1) * 50 });
    return sendHtml(reply, settingsPage(view, 'cards', cardsSettings(view, { ...list, search, status: statusFilter, page: pageNo }, addForm, importResult)), status);
  };

  app.get('/settings/cards', { config: { dashboardRole: 'operator' } }, async (request, reply) => cardsPage(request, reply, emptyForm(), null));

  const cardInput = (values: Record<string, string>, errors: Record<string, string>, t: (s: string) => string, timeZone: string) => {
    const out: Record<string, unknown> = {
      status: values.status || 'Accepted',
      ownerName: values.ownerName || null,
      parentIdTag: values.parentIdTag || null,
    };
    if (values.expiryDate) {
      const d = parseLocalDate(values.expiryDate, timeZone, true);
      if (!d) errors.expiryDate = t('must be a date (YYYY-MM-DD)');
      else out.expiryDate = d;
    } else out.expiryDate = null;
    return out;
  };

  app.post('/settings/cards', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { actor, fmt, view } = state(request);
    const values = formValues(request.body);
    const errors: Record<string, string> = {};
    if (!values.idTag) errors.idTag = fmt.t('is required');
    const input = cardInput(values, errors, fmt.t, deps.options.timeZone);
    if (Object.keys(errors).length === 0) {
      try {
        await idTags().create({ idTag: values.idTag!, ...input }, actor);
        if (isHtmx(request)) {
          reply.header('hx-trigger', toastHeader(fmt.t('Card {id} added.', { id: values.idTag! })));
          return sendHtml(reply, addCardForm(view, { values: {}, errors: {}, notice: fmt.t('Card {id} added.', { id: values.idTag! }) }));
        }
        return reply.redirect(`${deps.options.prefix}/settings/cards?search=${encodeURIComponent(values.idTag!)}`, 303);
      } catch (err) {
        const fields = fieldsOf(err);
        if (fields) Object.assign(errors, translateFields(fields, fmt.t));
        else if (isCsmsError(err)) errors.idTag = err.message;
        else throw err;
      }
    }
    if (isHtmx(request)) return sendHtml(reply, addCardForm(view, { values, errors }), 422);
    return cardsPage(request, reply, { values, errors }, null, 422);
  });

  app.get<{ Params: { idTag: string } }>('/settings/cards/:idTag', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { view, fmt } = state(request);
    const tag = await idTags().get(request.params.idTag);
    if (!tag) return sendHtml(reply, errorPage(view, 404, fmt.t('No card with this idTag.')), 404);
    const values = { idTag: tag.idTag, status: tag.status, ownerName: tag.ownerName ?? '', parentIdTag: tag.parentIdTag ?? '', expiryDate: tag.expiryDate ? localDateString(new Date(tag.expiryDate), deps.options.timeZone) : '' };
    return sendHtml(reply, settingsPage(view, 'cards', card(`${fmt.t('Card')} ${tag.idTag}`, addCardForm(view, emptyForm(values), `/settings/cards/${encodeURIComponent(tag.idTag)}`, 'Save', true))));
  });

  app.post<{ Params: { idTag: string } }>('/settings/cards/:idTag', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { view, fmt, actor } = state(request);
    const values = { ...formValues(request.body), idTag: request.params.idTag };
    const errors: Record<string, string> = {};
    const input = cardInput(values, errors, fmt.t, deps.options.timeZone);
    const action = `/settings/cards/${encodeURIComponent(request.params.idTag)}`;
    if (Object.keys(errors).length === 0) {
      try {
        await idTags().update(request.params.idTag, input, actor);
        const notice = fmt.t('Card {id} saved.', { id: request.params.idTag });
        if (isHtmx(request)) return sendHtml(reply, addCardForm(view, { values, errors: {}, notice }, action, 'Save', true));
        return reply.redirect(`${deps.options.prefix}/settings/cards`, 303);
      } catch (err) {
        const fields = fieldsOf(err);
        if (fields) Object.assign(errors, translateFields(fields, fmt.t));
        else if (isCsmsError(err)) errors._form = err.message;
        else throw err;
      }
    }
    const form = addCardForm(view, { values, errors }, action, 'Save', true);
    return sendHtml(reply, isHtmx(request) ? form : settingsPage(view, 'cards', card(`${fmt.t('Card')} ${request.params.idTag}`, form)), 422);
  });

  for (const op of ['block', 'unblock'] as const) {
    app.post<{ Params: { idTag: string } }>(`/settings/cards/:idTag/${op}`, { config: { dashboardRole: 'admin' } }, async (request, reply) => {
      const { view, actor, fmt } = state(request);
      try {
        const row = await idTags()[op](request.params.idTag, actor);
        if (isHtmx(request)) {
          reply.header('hx-trigger', toastHeader(op === 'block' ? fmt.t('Card {id} blocked.', { id: row.idTag }) : fmt.t('Card {id} unblocked.', { id: row.idTag })));
          return sendHtml(reply, cardRow(view, row));
        }
        return reply.redirect(`${deps.options.prefix}/settings/cards`, 303);
      } catch (err) {
        if (isCsmsError(err)) return sendHtml(reply, errorPage(view, 404, err.message), 404);
        throw err;
      }
    });
  }

  app.post('/settings/cards/import', { config: { dashboardRole: 'admin' }, bodyLimit: 2 * 1024 * 1024 }, async (request, reply) => {
    const { view, actor, fmt } = state(request);
    const csv = typeof (request.body as Record<string, unknown>)?.csv === 'string' ? ((request.body as Record<string, string>).csv ?? '') : '';
    let box: Html;
    let status = 200;
    if (!csv.trim()) {
      box = importResultBox(view, { created: 0, updated: 0, errors: [{ line: 0, message: fmt.t('The CSV is empty: choose a file or paste lines.') }] });
      status = 422;
    } else {
      try {
        box = importResultBox(view, await idTags().importCsv(csv, actor));
      } catch (err) {
        if (!isCsmsError(err)) throw err;
        box = importResultBox(view, { created: 0, updated: 0, errors: [{ line: 0, message: err.message }] });
        status = 422;
      }
    }
    if (isHtmx(request)) return sendHtml(reply, importForm(view, box), status);
    return cardsPage(request, reply, emptyForm(), box, status);
  });

  // ——— Users ———
  const usersPage = async (request: FastifyRequest, reply: FastifyReply, addForm: FormState, status = 200) => {
    const { view } = state(request);
    return sendHtml(reply, settingsPage(view, 'users', usersSettings(view, await users().list(), addForm, null)), status);
  };

  app.get('/settings/users', { config: { dashboardRole: 'admin' } }, async (request, reply) => usersPage(request, reply, emptyForm()));

  app.post('/settings/users', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { actor, fmt } = state(request);
    const values = formValues(request.body);
    const password = typeof (request.body as Record<string, unknown>)?.password === 'string' ? (request.body as Record<string, string>).password! : '';
    try {
      await users().create({ username: values.username ?? '', password, role: (values.role ?? 'viewer') as AdminRole }, actor);
      if (isHtmx(request)) reply.header('hx-redirect', `${deps.options.prefix}/settings/users`);
      return isHtmx(request) ? reply.send('') : reply.redirect(`${deps.options.prefix}/settings/users`, 303);
    } catch (err) {
      const fields = fieldsOf(err);
      const errors = fields ? translateFields(fields, fmt.t) : isCsmsError(err) ? { username: err.message } : null;
      if (!errors) throw err;
      const { password: _omit, ...kept } = values;
      return usersPage(request, reply, { values: kept, errors }, 422);
    }
  });

  app.post<{ Params: { username: string } }>('/settings/users/:username/role', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { actor, session, view, fmt } = state(request);
    const role = formValues(request.body).role as AdminRole;
    if (request.params.username.toLowerCase() === session.username.toLowerCase()) return sendHtml(reply, errorPage(view, 422, fmt.t('You cannot change your own role.')), 422);
    try {
      await users().setRole(request.params.username, role, actor);
      await deps.sessions.forUser(request.params.username, { role });
    } catch (err) {
      if (!isCsmsError(err)) throw err;
      return sendHtml(reply, errorPage(view, 422, err.message), 422);
    }
    return reply.redirect(`${deps.options.prefix}/settings/users`, 303);
  });

  app.post<{ Params: { username: string } }>('/settings/users/:username/delete', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { actor, session, view, fmt } = state(request);
    if (request.params.username.toLowerCase() === session.username.toLowerCase()) return sendHtml(reply, errorPage(view, 422, fmt.t('You cannot remove yourself.')), 422);
    try {
      await users().remove(request.params.username, actor);
      await deps.sessions.forUser(request.params.username, { remove: true });
      deps.streams.closeFor({ username: request.params.username });
    } catch (err) {
      if (!isCsmsError(err)) throw err;
      return sendHtml(reply, errorPage(view, 422, err.message), 422);
    }
    if (isHtmx(request)) return reply.header('hx-trigger', toastHeader(fmt.t('User removed.'))).send('');
    return reply.redirect(`${deps.options.prefix}/settings/users`, 303);
  });

  app.post('/settings/password', async (request, reply) => {
    const { actor, session, view, fmt } = state(request);
    const body = request.body as Record<string, unknown>;
    const current = typeof body?.current === 'string' ? body.current : '';
    const next = typeof body?.password === 'string' ? body.password : '';
    const errors: Record<string, string> = {};
    if (!(await users().verify(session.username, current))) errors.current = fmt.t('is not your current password');
    else {
      try {
        await users().setPassword(session.username, next, actor);
      } catch (err) {
        const fields = fieldsOf(err);
        if (!fields) throw err;
        Object.assign(errors, translateFields(fields, fmt.t));
      }
    }
    const form: FormState = Object.keys(errors).length ? { values: {}, errors } : { values: {}, errors: {}, notice: fmt.t('Password changed.') };
    const status = Object.keys(errors).length ? 422 : 200;
    if (isHtmx(request)) return sendHtml(reply, passwordForm(view, form), status);
    return sendHtml(reply, settingsPage(view, 'users', card(fmt.t('Change your password'), passwordForm(view, form))), status);
  });

  // ——— API keys ———
  const keysPage = async (request: FastifyRequest, reply: FastifyReply, addForm: FormState, created: { name: string; key: string } | null, status = 200) => {
    const { view } = state(request);
    return sendHtml(reply, settingsPage(view, 'api-keys', apiKeysSettings(view, await apiKeys().list(), addForm, created)), status);
  };

  app.get('/settings/api-keys', { config: { dashboardRole: 'admin' } }, async (request, reply) => keysPage(request, reply, emptyForm(), null));

  app.post('/settings/api-keys', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { actor, fmt } = state(request);
    const values = formValues(request.body);
    const role = (['viewer', 'operator', 'admin'] as const).find((r) => r === values.role);
    if (!values.name) return keysPage(request, reply, { values, errors: { name: fmt.t('is required') } }, null, 422);
    if (!role) return keysPage(request, reply, { values, errors: { role: fmt.t('must be viewer, operator or admin') } }, null, 422);
    try {
      const { key, apiKey } = await apiKeys().create({ name: values.name, role }, actor);
      return keysPage(request, reply, emptyForm(), { name: apiKey.name, key });
    } catch (err) {
      const fields = fieldsOf(err);
      const errors = fields ? translateFields(fields, fmt.t) : isCsmsError(err) ? { name: err.message } : null;
      if (!errors) throw err;
      return keysPage(request, reply, { values, errors }, null, 422);
    }
  });

  app.post<{ Params: { id: string } }>('/settings/api-keys/:id/revoke', { config: { dashboardRole: 'admin' } }, async (request, reply) => {
    const { actor, view } = state(request);
    try {
      await apiKeys().revoke(Number(request.params.id), actor);
    } catch (err) {
      if (!isCsmsError(err)) throw err;
      return sendHtml(reply, errorPage(view, 404, err.message), 404);
    }
    return reply.redirect(`${deps.options.prefix}/settings/api-keys`, 303);
  });
}
