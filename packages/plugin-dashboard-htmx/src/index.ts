/**
 * @charge-it/plugin-dashboard-htmx: the admin dashboard of Charge-IT (htmx + uPlot, server-rendered):
 * Dashboard, Stations, Transactions, AI Insights, Settings and the audit log. See README.md.
 */
export { dashboard } from './plugin.js';
export { resolveDashboardOptions, DASHBOARD_ENV, type DashboardOptions, type ResolvedDashboardOptions } from './options.js';
export { CONTENT_SECURITY_POLICY } from './http/security.js';
export type { Locale } from './i18n.js';
export type { Role } from './auth/session-store.js';
