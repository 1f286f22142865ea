import type { DashboardSession, Role } from '../auth/session-store.js';
import { roleAllows } from '../auth/session-store.js';
import type { Fmt } from '../format.js';
import { html, type Html, type HtmlValue } from '../html.js';
import { icon } from './icons.js';

/** What every view gets: formatting for the user, the session, and where the dashboard is mounted. */
export interface ViewCtx {
  readonly fmt: Fmt;
  readonly session: DashboardSession;
  readonly prefix: string;
  readonly siteName: string;
  /** Current path inside the dashboard with its query, for the language switch's return. */
  readonly path: string;
}

export type NavKey = 'dashboard' | 'stations' | 'transactions' | 'insights' | 'settings' | 'audit';

const NAV: { key: NavKey; href: string; label: string; icon: string; role: Role }[] = [
  { key: 'dashboard', href: '/', label: 'Dashboard', icon: 'dashboard', role: 'viewer' },
  { key: 'stations', href: '/stations', label: 'Stations', icon: 'stations', role: 'viewer' },
  { key: 'transactions', href: '/transactions', label: 'Transactions', icon: 'transactions', role: 'viewer' },
  { key: 'insights', href: '/insights', label: 'AI Insights', icon: 'insights', role: 'viewer' },
  { key: 'settings', href: '/settings', label: 'Settings', icon: 'settings', role: 'viewer' },
  { key: 'audit', href: '/audit', label: 'Audit log', icon: 'audit', role: 'operator' },
];

export interface PageOptions {
  title: string;
  active: NavKey;
  /** Which live fragments the SSE stream sends for this page (see live/live-stream.ts). */
  live?: string;
  /** Extra page scripts from /assets (e.g. 'charts.js'); uPlot is loaded with them. */
  scripts?: string[];
  actions?: HtmlValue;
  body: HtmlValue;
}

export function csrfField(ctx: ViewCtx): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.session.csrf}">`;
}

export function page(ctx: ViewCtx, options: PageOptions): Html {
  const { fmt, session, prefix } = ctx;
  const t = fmt.t;
  const needsCharts = (options.scripts ?? []).includes('charts.js');
  const sseUrl = options.live ? `${prefix}/events?view=${encodeURIComponent(options.live)}` : null;
  return html`<!doctype html>
<html lang="${fmt.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0,"selfRequestsOnly":true}'>
<meta name="color-scheme" content="light">
<title>${options.title} · ${ctx.siteName}</title>
<link rel="icon" href="${prefix}/assets/favicon.svg" type="image/svg+xml">
${needsCharts ? html`<link rel="stylesheet" href="${prefix}/vendor/uPlot.min.css">` : null}
<link rel="stylesheet" href="${prefix}/assets/app.css">
<script src="${prefix}/vendor/htmx.min.js" defer></script>
<script src="${prefix}/vendor/sse.min.js" defer></script>
${needsCharts ? html`<script src="${prefix}/vendor/uPlot.iife.min.js" defer></script>` : null}
<script src="${prefix}/assets/app.js" defer></script>
${(options.scripts ?? []).map((s) => html`<script src="${prefix}/assets/${s}" defer></script>`)}
</head>
<body hx-headers='{"X-CSRF-Token":"${session.csrf}"}' data-prefix="${prefix}" data-locale="${fmt.locale}" data-time-zone="${fmt.timeZone}">
<input type="checkbox" id="nav-toggle" class="nav-toggle" aria-hidden="true">
<div class="shell">
  <aside class="sidebar" aria-label="${t('Main menu')}">
    <a class="brand" href="${prefix}/">${icon('bolt', 'icon brand-mark')}<span>${ctx.siteName}</span></a>
    <nav class="nav">
      ${NAV.filter((n) => roleAllows(session.role, n.role)).map(
        (n) => html`<a class="nav-link${n.key === options.active ? ' active' : ''}" href="${prefix}${n.href}"${n.key === options.active ? html` aria-current="page"` : null}>${icon(n.icon)}<span>${t(n.label)}</span></a>`,
      )}
    </nav>
    <div class="sidebar-foot">
      <div class="user"><span class="avatar">${session.username.slice(0, 1).toUpperCase()}</span><span><strong>${session.username}</strong><small>${t(roleLabel(session.role))}</small></span></div>
      <form method="post" action="${prefix}/preferences/locale" class="lang-form">
        ${csrfField(ctx)}<input type="hidden" name="return" value="${ctx.path}">
        ${icon('globe')}
        <button type="submit" name="locale" value="id" class="${fmt.locale === 'id' ? 'on' : ''}">ID</button>
        <button type="submit" name="locale" value="en" class="${fmt.locale === 'en' ? 'on' : ''}">EN</button>
      </form>
      <form method="post" action="${prefix}/logout">${csrfField(ctx)}<button type="submit" class="btn btn-ghost btn-block">${icon('logout')}${t('Log out')}</button></form>
    </div>
  </aside>
  <label for="nav-toggle" class="scrim" aria-hidden="true"></label>
  <div class="main">
    <header class="topbar">
      <label for="nav-toggle" class="menu-btn" title="${t('Menu')}">${icon('menu')}</label>
      <h1>${options.title}</h1>
      <div class="topbar-actions">
        ${options.actions ?? null}
        ${sseUrl ? html`<span class="live-dot" id="live-indicator" data-state="connecting" title="${t('Live updates')}"><i></i><span class="live-label" data-on="${t('Live')}" data-off="${t('Reconnecting…')}">${t('Connecting…')}</span></span>` : null}
      </div>
    </header>
    <div id="connection-banner" class="banner banner-warn" hidden>${icon('wifi')} ${t('Connection to the server lost. Reconnecting… The values below may be out of date.')}</div>
    <main class="content" id="content">
${options.body}
    </main>
  </div>
</div>
${sseUrl ? html`<div id="live-sink" hx-ext="sse" sse-connect="${sseUrl}" sse-swap="update" hx-swap="none"></div>` : null}
<div id="toast" class="toast" role="status" aria-live="polite"></div>
</body>
</html>`;
}

export function roleLabel(role: Role): string {
  return role === 'admin' ? 'Administrator' : role === 'operator' ? 'Operator' : 'Viewer';
}

/** A calm empty state with an icon, a title and a sentence on what to do. */
export function emptyState(title: string, text: HtmlValue, iconName = 'empty'): Html {
  return html`<div class="empty">${icon(iconName, 'icon empty-icon')}<p class="empty-title">${title}</p><p class="empty-text">${text}</p></div>`;
}

export function card(title: HtmlValue, body: HtmlValue, options: { actions?: HtmlValue; id?: string; cls?: string } = {}): Html {
  return html`<section class="card${options.cls ? ` ${options.cls}` : ''}"${options.id ? html` id="${options.id}"` : null}>
  ${title ? html`<header class="card-head"><h2>${title}</h2>${options.actions ?? null}</header>` : null}
  <div class="card-body">${body}</div>
</section>`;
}

const PILL: Record<string, string> = {
  Available: 'ok', Charging: 'info', Preparing: 'info', SuspendedEV: 'warn', SuspendedEVSE: 'warn', Finishing: 'info',
  Reserved: 'violet', Unavailable: 'muted', Faulted: 'bad', Offline: 'muted', Online: 'ok', Accepted: 'ok', Blocked: 'bad',
  Expired: 'warn', Invalid: 'bad', Pending: 'warn', Rejected: 'bad', Active: 'info', Completed: 'muted', ok: 'ok',
};

export function pill(status: string | null | undefined, label?: string): Html {
  const s = status ?? 'Unknown';
  return html`<span class="pill pill-${PILL[s] ?? 'muted'}">${label ?? s}</span>`;
}
