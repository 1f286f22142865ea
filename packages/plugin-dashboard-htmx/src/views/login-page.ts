import type { Fmt } from '../format.js';
import { html, type Html } from '../html.js';
import { icon } from './icons.js';

export interface LoginPageInput {
  fmt: Fmt;
  prefix: string;
  siteName: string;
  csrf: string;
  next: string;
  username?: string;
  error?: string;
  notice?: string;
  noAdminYet?: boolean;
}

export function loginPage(input: LoginPageInput): Html {
  const { fmt, prefix } = input;
  const t = fmt.t;
  return html`<!doctype html>
<html lang="${fmt.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t('Sign in')} · ${input.siteName}</title>
<link rel="icon" href="${prefix}/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${prefix}/assets/app.css">
</head>
<body>
<main class="login-page">
  <form class="login-card" method="post" action="${prefix}/login">
    <div class="brand">${icon('bolt', 'icon brand-mark')}<span>${input.siteName}</span></div>
    <div><h1>${t('Sign in to the dashboard')}</h1><p>${t('Charging station management')}</p></div>
    ${input.notice ? html`<div class="result-box ok">${input.notice}</div>` : null}
    ${input.error ? html`<div class="result-box bad" role="alert">${input.error}</div>` : null}
    ${input.noAdminYet
      ? html`<div class="result-box warn">${t('No dashboard user exists yet. Create the first administrator with the CLI (npx charge-it-dashboard create-admin) or the CHARGE_IT_DASHBOARD_ADMIN_USER / CHARGE_IT_DASHBOARD_ADMIN_PASSWORD variables, then restart.')}</div>`
      : null}
    <input type="hidden" name="_csrf" value="${input.csrf}">
    <input type="hidden" name="next" value="${input.next}">
    <input type="hidden" name="lang" value="${fmt.locale}">
    <label class="field"><span>${t('Username')}</span><input type="text" name="username" autocomplete="username" required autofocus value="${input.username ?? ''}"></label>
    <label class="field"><span>${t('Password')}</span><input type="password" name="password" autocomplete="current-password" required></label>
    <button class="btn btn-primary btn-block" type="submit">${t('Sign in')}</button>
    <p class="small muted">${t('Language')}: <a href="${prefix}/login?lang=id&amp;next=${encodeURIComponent(input.next)}">Bahasa Indonesia</a> · <a href="${prefix}/login?lang=en&amp;next=${encodeURIComponent(input.next)}">English</a></p>
  </form>
</main>
</body>
</html>`;
}
