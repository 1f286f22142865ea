/**
 * @charge-it/plugin-ml: ARIMA load forecast, Isolation Forest anomalies, K-Means driver segments and load optimisation on the real data.
 *
 * Not built yet: this package reserves its name and place in the monorepo. Its plugin factory
 * arrives with its own issue; until then the package exports only what it is.
 */
export const packageInfo = {
  name: '@charge-it/plugin-ml',
  /** The host the plugin runs in: 'csms' (@charge-it/core) or 'edge' (@charge-it/edge-runtime). */
  host: 'csms',
  status: 'planned',
} as const;
