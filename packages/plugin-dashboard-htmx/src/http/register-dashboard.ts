import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { roleAllows, safeEqual } from '../auth/session-store.js';
import { pickLocale, SESSION_COOKIE } from './cookies.js';
import { createFmt } from '../format.js';
import { html } from '../html.js';
import { registerAuditRoutes } from '../routes/audit-routes.js';
import { registerAuthRoutes } from '../routes/auth-routes.js';
import { registerDashboardRoutes } from '../routes/dashboard-routes.js';
import { registerInsightsRoutes } from '../routes/insights-routes.js';
import { registerSettingsRoutes } from '../routes/settings-routes.js';
import { registerStationRoutes } from '../routes/station-routes.js';
import { registerTransactionRoutes } from '../routes/transaction-routes.js';
import { registerLiveStream } from '../live/live-stream.js';
import { errorPage } from '../views/error-page.js';
import type { DashboardDeps } from './context.js';
import { isHtmx, sendHtml } from './context.js';
import { setSecurityHeaders } from './security.js';

const require = createRequire(import.meta.url);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** assets/ next to dist/ (published) or src/ (tests run from source). */
const ASSETS_DIR = join(packageRoot, packageRoot.endsWith('src') || packageRoot.endsWith('dist') ? '..' : '.', 'assets');
const VENDOR_FILES: Record<string, string> = {
  'htmx.min.js': join(dirname(require.resolve('htmx.org/package.json')), 'dist', 'htmx.min.js'),
  'sse.min.js': join(dirname(require.resolve('htmx-ext-sse/package.json')), 'dist', 'sse.min.js'),
  'uPlot.iife.min.js': join(dirname(require.resolve('uplot/package.json')), 'dist', 'uPlot.iife.min.js'),
  'uPlot.min.css': join(dirname(require.resolve('uplot/package.json')), 'dist', 'uPlot.min.css'),
};

/** The dashboard as one encapsulated Fastify plugin (mounted by `ctx.routes` under the prefix). */
export function createDashboardRoutes(deps: DashboardDeps) {
  const { options } = deps;
  return async function dashboardRoutes(app: FastifyInstance): Promise<void> {
    await app.register(cookie);
    await app.register(formbody, { bodyLimit: 2 * 1024 * 1024 });
    await app.register(fastifyStatic, { root: ASSETS_DIR, prefix: '/assets/', decorateReply: false, maxAge: '1h', index: false });
    await app.register(fastifyStatic, {
      root: [...new Set(Object.values(VENDOR_FILES).map((f) => dirname(f)))],
      prefix: '/vendor/',
      decorateReply: false,
      maxAge: '1d',
      index: false,
      allowedPath: (pathName) => Object.keys(VENDOR_FILES).includes(pathName.replace(/^\//, '')),
    });

    app.decorateRequest('dash', null);

    // Security headers on everything the dashboard answers, errors included.
    app.addHook('onSend', async (_request, reply, payload) => {
      setSecurityHeaders(reply);
      return payload;
    });

    // Authentication, role and CSRF: before every handler.
    app.addHook('preHandler', async (request, reply) => {
      const pattern = request.routeOptions.url ?? '';
      const isAsset = pattern.startsWith(`${options.prefix}/assets/`) || pattern.startsWith(`${options.prefix}/vendor/`);
      const role = isAsset ? 'public' : (request.routeOptions.config.dashboardRole ?? 'viewer');
      if (role === 'public') return;
      const session = await deps.sessions.get(request.cookies[SESSION_COOKIE]);
      const fmt = createFmt(pickLocale(deps, request, session), options.timeZone);
      if (!session) {
        const loginUrl = `${options.prefix}/login?next=${encodeURIComponent(request.url)}`;
        if (isHtmx(request)) return reply.code(401).header('hx-redirect', loginUrl).send('');
        if (request.method === 'GET' && !request.url.includes('/events')) return reply.redirect(loginUrl, 303);
        return reply.code(401).header('content-type', 'text/plain; charset=utf-8').send('Not signed in');
      }
      const path = request.url.startsWith(options.prefix) ? request.url.slice(options.prefix.length) || '/' : request.url;
      request.dash = {
        session,
        fmt,
        actor: `dashboard:${session.username}`,
        view: { fmt, session, prefix: options.prefix, siteName: options.siteName, path },
      };
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        const body = request.body as Record<string, unknown> | undefined;
        const sent = String(request.headers['x-csrf-token'] ?? (typeof body?._csrf === 'string' ? body._csrf : ''));
        if (!sent || !safeEqual(sent, session.csrf)) {
          return sendHtml(reply, errorPage(request.dash.view, 403, fmt.t('The form expired or did not come from this dashboard (CSRF check failed). Reload the page and try again.')), 403);
        }
      }
      if (!roleAllows(session.role, role)) {
        const message = fmt.t('Your role ({role}) may not do this; ask an administrator.', { role: session.role });
        if (isHtmx(request)) return sendHtml(reply, html`<div class="result-box bad">${message}</div>`, 403);
        return sendHtml(reply, errorPage(request.dash.view, 403, message), 403);
      }
    });

    app.setNotFoundHandler(async (request, reply) => {
      const session = await deps.sessions.get(request.cookies?.[SESSION_COOKIE]);
      const fmt = createFmt(pickLocale(deps, request, session), options.timeZone);
      if (!session) return reply.code(404).header('content-type', 'text/plain; charset=utf-8').send('Not found');
      return sendHtml(reply, errorPage({ fmt, session, prefix: options.prefix, siteName: options.siteName, path: '/' }, 404, fmt.t('This page does not exist.')), 404);
    });

    app.setErrorHandler(async (error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) deps.log.error({ err: error, url: request.url }, 'dashboard request failed');
      const view = request.dash?.view;
      const message = status >= 500 ? 'Something went wrong on the server; the error was logged.' : (error as Error).message;
      if (!view) return reply.code(status).header('content-type', 'text/plain; charset=utf-8').send(message);
      if (isHtmx(request)) return sendHtml(reply, html`<div class="result-box bad">${view.fmt.t(message)}</div>`, status);
      return sendHtml(reply, errorPage(view, status, view.fmt.t(message)), status);
    });

    registerAuthRoutes(app, deps);
    registerDashboardRoutes(app, deps);
    registerStationRoutes(app, deps);
    registerTransactionRoutes(app, deps);
    registerInsightsRoutes(app, deps);
    registerSettingsRoutes(app, deps);
    registerAuditRoutes(app, deps);
    registerLiveStream(app, deps);
  };
}
