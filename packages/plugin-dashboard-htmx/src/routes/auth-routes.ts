import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual, token } from '../auth/session-store.js';
import type { AdminUserService } from '../core-api.js';
import { createFmt } from '../format.js';
import { isLocale } from '../i18n.js';
import { field, sendHtml, state, type DashboardDeps } from '../http/context.js';
import { LOCALE_COOKIE, pickLocale, secureCookie, SESSION_COOKIE } from '../http/cookies.js';
import { loginPage } from '../views/login-page.js';

const PRE_COOKIE = 'ci_pre';

/** Only a path inside the dashboard (no scheme, no "//host"): no open redirect. */
export function safeNext(prefix: string, next: string | undefined): string {
  if (!next || !next.startsWith(`${prefix}/`) && next !== prefix) return `${prefix}/`;
  if (next.startsWith('//') || next.includes('\\') || /[\r\n]/.test(next) || next.startsWith(`${prefix}/login`)) return `${prefix}/`;
  return next;
}

export function registerAuthRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const { options, sessions, limiter } = deps;
  const users = () => deps.svc.adminUsers();
  const cookieBase = (request: FastifyRequest) => ({ path: options.prefix, httpOnly: true, sameSite: 'lax' as const, secure: secureCookie(deps, request) });

  const showLogin = async (request: FastifyRequest, reply: FastifyReply, extra: { error?: string; username?: string; status?: number; notice?: string } = {}) => {
    const query = request.query as Record<string, string | undefined>;
    const body = request.body as Record<string, string | undefined> | undefined;
    const langInput = query.lang ?? body?.lang;
    const locale = isLocale(langInput) ? langInput : pickLocale(deps, request);
    const fmt = createFmt(locale, options.timeZone);
    const pre = token(18);
    reply.setCookie(PRE_COOKIE, pre, { ...cookieBase(request), sameSite: 'strict' });
    const noAdminYet = (await users().count()) === 0;
    return sendHtml(
      reply,
      loginPage({
        fmt, prefix: options.prefix, siteName: options.siteName, csrf: pre, next: safeNext(options.prefix, query.next ?? body?.next),
        ...(extra.username !== undefined ? { username: extra.username } : {}),
        ...(extra.error ? { error: fmt.t(extra.error) } : {}),
        ...(extra.notice ? { notice: fmt.t(extra.notice) } : {}),
        noAdminYet,
      }),
      extra.status ?? 200,
    );
  };

  app.get('/login', { config: { dashboardRole: 'public' } }, async (request, reply) => {
    if (await sessions.get(request.cookies[SESSION_COOKIE])) return reply.redirect(`${options.prefix}/`, 303);
    const query = request.query as Record<string, string | undefined>;
    return showLogin(request, reply, query.bye === '1' ? { notice: 'You are signed out.' } : {});
  });

  app.post('/login', { config: { dashboardRole: 'public' } }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    const username = field(body, 'username');
    const password = typeof body?.password === 'string' ? body.password : '';
    const pre = request.cookies[PRE_COOKIE];
    if (!pre || !safeEqual(field(body, '_csrf'), pre)) {
      return showLogin(request, reply, { error: 'The sign-in form expired. Please try again.', username, status: 403 });
    }
    const ip = request.ip;
    const wait = limiter.retryAfter(ip, username);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      return showLogin(request, reply, { error: 'Too many failed sign-ins. Wait a few minutes and try again.', username, status: 429 });
    }
    const user = username && password ? await users().verify(username, password) : null;
    if (!user) {
      limiter.fail(ip, username);
      deps.log.warn({ username, ip }, 'dashboard sign-in failed');
      return showLogin(request, reply, { error: 'Wrong username or password.', username, status: 401 });
    }
    limiter.succeed(username);
    const lang = field(body, 'lang');
    const session = await sessions.create(user.username, user.role, isLocale(lang) ? lang : null);
    reply.clearCookie(PRE_COOKIE, { path: options.prefix });
    reply.setCookie(SESSION_COOKIE, session.id, cookieBase(request));
    deps.log.info({ username: user.username, role: user.role }, 'dashboard sign-in');
    return reply.redirect(safeNext(options.prefix, field(body, 'next')), 303);
  });

  /** 204 while signed in (the page script checks this when its event stream fails). */
  app.get('/session', async (_request, reply) => reply.code(204).header('cache-control', 'no-store').send());

  app.post('/logout', async (request, reply) => {
    const { session } = state(request);
    await sessions.destroy(session.id);
    deps.streams.closeFor({ sessionId: session.id });
    reply.clearCookie(SESSION_COOKIE, { path: options.prefix });
    if (request.headers['hx-request'] === 'true') return reply.header('hx-redirect', `${options.prefix}/login?bye=1`).send('');
    return reply.redirect(`${options.prefix}/login?bye=1`, 303);
  });

  app.post('/preferences/locale', async (request, reply) => {
    const { session } = state(request);
    const locale = field(request.body, 'locale');
    if (isLocale(locale)) {
      await sessions.setLocale(session.id, locale);
      reply.setCookie(LOCALE_COOKIE, locale, { ...cookieBase(request), maxAge: 365 * 86_400 });
    }
    const back = field(request.body, 'return');
    return reply.redirect(safeNext(options.prefix, back.startsWith('/') ? `${options.prefix}${back === '/' ? '/' : back}` : undefined), 303);
  });
}
