/**
 * @charge-it/plugin-firebase: mirrors live charge point and session state to Firebase Realtime Database and ships the driver web page.
 *
 * Not built yet: this package reserves its name and place in the monorepo. Its plugin factory
 * arrives with its own issue; until then the package exports only what it is.
 */
export const packageInfo = {
  name: '@charge-it/plugin-firebase',
  /** The host the plugin runs in: 'csms' (@charge-it/core) or 'edge' (@charge-it/edge-runtime). */
  host: 'csms',
  status: 'planned',
} as const;
