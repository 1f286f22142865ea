import { html, type Html } from '../html.js';
import { card, emptyState, page, type ViewCtx } from './layout.js';

export function insightsPage(ctx: ViewCtx, data: null): Html {
  const t = ctx.fmt.t;
  return page(ctx, {
    title: t('AI Insights'),
    active: 'insights',
    body: card(null, data === null ? emptyState(t('The ML plugin is not installed'), t('Install @charge-it/plugin-ml to see the load forecast, availability, anomalies, driver segments and load advice, computed from this site’s own sessions.'), 'insights') : html``),
  });
}
