import { html, type Html } from '../html.js';
import { emptyState, page, type ViewCtx } from './layout.js';

export function errorPage(ctx: ViewCtx, status: number, message: string): Html {
  const t = ctx.fmt.t;
  const title = status === 404 ? t('Not found') : status === 403 ? t('Not allowed') : t('Error');
  return page(ctx, {
    title,
    active: 'dashboard',
    body: html`<section class="card">${emptyState(`${status} · ${title}`, html`${message} <br><a href="${ctx.prefix}/">${t('Back to the dashboard')}</a>`, 'alert')}</section>`,
  });
}
