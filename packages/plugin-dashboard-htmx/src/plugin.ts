import { definePlugin, type CsmsPlugin } from '@charge-it/core';
import { LoginLimiter } from './auth/login-limiter.js';
import { DashboardSessionSchema, SessionStore } from './auth/session-store.js';
import { dashboardServices } from './core-api.js';
import type { DashboardDeps } from './http/context.js';
import { createDashboardRoutes } from './http/register-dashboard.js';
import { EventFeed } from './live/event-feed.js';
import { StreamRegistry } from './live/live-stream.js';
import { resolveDashboardOptions, type DashboardOptions } from './options.js';

/**
 * The admin dashboard as a CSMS plugin: `createCsms({ plugins: [dashboard({ ... })] })`.
 * Served under `/dashboard` (option `prefix`).
 */
export function dashboard(options: DashboardOptions = {}): Readonly<CsmsPlugin> {
  const resolved = resolveDashboardOptions(options);
  return definePlugin({
    name: 'dashboard',
    entities: [DashboardSessionSchema],
    async setup(ctx) {
      const feed = new EventFeed(100);
      const deps: DashboardDeps = {
        options: resolved,
        svc: dashboardServices(ctx.services),
        sessions: new SessionStore({ em: () => ctx.em(), idleMs: resolved.sessionIdleMs }),
        limiter: new LoginLimiter({ limit: resolved.loginAttemptsPer15Min }),
        log: ctx.log,
        feed,
        streams: new StreamRegistry(),
      };

      // The recent-events feed of the Dashboard view.
      ctx.on('onBootNotification', (p) => feed.push({ at: p.receivedAt.toISOString(), kind: 'boot', chargePointId: p.chargePointId, detail: p.status }));
      ctx.on('onChargePointConnected', (p) => feed.push({ at: p.at.toISOString(), kind: 'connected', chargePointId: p.chargePointId }));
      ctx.on('onChargePointDisconnected', (p) => feed.push({ at: p.at.toISOString(), kind: 'disconnected', chargePointId: p.chargePointId }));
      ctx.on('onStatusNotification', (p) => {
        const s = p.status;
        if (s.connectorId === 0 && s.status === 'Available' && s.errorCode === 'NoError') return;
        const fault = s.status === 'Faulted' || (s.errorCode && s.errorCode !== 'NoError');
        feed.push({
          at: p.receivedAt.toISOString(), kind: fault ? 'fault' : 'status', chargePointId: p.chargePointId, connectorId: s.connectorId,
          detail: fault ? [s.errorCode, s.vendorErrorCode, s.info].filter(Boolean).join(' · ') : s.status,
        });
      });
      ctx.on('onAuthorizeResult', (p) => {
        if (p.status === 'Accepted' || p.reason === 'StopTransaction') return;
        feed.push({ at: new Date().toISOString(), kind: 'refused', chargePointId: p.chargePointId, idTag: p.idTag, detail: p.status });
      });
      ctx.on('onTransactionStarted', (p) => feed.push({ at: p.transaction.startedAt, kind: 'started', chargePointId: p.chargePointId, connectorId: p.transaction.connectorId, transactionId: p.transaction.id, idTag: p.transaction.idTag }));
      ctx.on('onTransactionStopped', (p) => feed.push({ at: p.transaction.stoppedAt ?? new Date().toISOString(), kind: 'stopped', chargePointId: p.chargePointId, connectorId: p.transaction.connectorId, transactionId: p.transaction.id, energyWh: p.transaction.energyWh, ...(p.transaction.stopReason ? { detail: p.transaction.stopReason } : {}) }));

      // The first administrator, from the option or CHARGE_IT_DASHBOARD_ADMIN_* (only when there is no user yet).
      const users = ctx.services.get('adminUsers');
      if (resolved.firstAdmin && (await users.count()) === 0) {
        await users.create({ ...resolved.firstAdmin, role: 'admin' }, 'dashboard:first-admin');
        ctx.log.info({ username: resolved.firstAdmin.username }, 'dashboard: first administrator created');
      } else if ((await users.count()) === 0) {
        ctx.log.warn('dashboard: no user can sign in yet; create the first administrator with `npx charge-it-dashboard create-admin` or CHARGE_IT_DASHBOARD_ADMIN_USER/_PASSWORD');
      }

      ctx.routes(createDashboardRoutes(deps), { prefix: resolved.prefix });
      if (resolved.redirectRoot) {
        ctx.routes(async (app) => {
          app.get('/', async (_request, reply) => reply.redirect(`${resolved.prefix}/`, 302));
        });
      }
      ctx.onClose(() => deps.streams.closeAll());
    },
  });
}
