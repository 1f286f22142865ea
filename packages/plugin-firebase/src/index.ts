/**
 * @charge-it/plugin-firebase: mirrors the public live state of charge points and sessions to Firebase
 * Realtime Database, and ships the driver web page (station QR codes, live session) with
 * database.rules.json. See README.md.
 */
export { firebaseMirror, type FirebaseMirrorOptions, type FirebaseMirrorService } from './firebase-mirror.js';
export { MirrorWriter, type MirrorSink, type MirrorWriterOptions, type MirrorWriterStats, type PathValues } from './mirror-writer.js';
export { LAYOUT_VERSION, DEFAULT_ROOT, stationKey, stationPath, connectorPath } from './layout.js';
export { resolveAccess, FirebaseConfigError, type FirebaseAccess, type ServiceAccountKey } from './credentials.js';
export { driverPageDir, driverPageCsp, type DriverPageOptions, type DriverPageConfig, type FirebaseWebConfig } from './driver-page.js';
export { RULES_PATH } from './rules.js';

/**
 * The environment variables the plugin reads; pass them to `createCsms({ knownEnv: [...FIREBASE_ENV] })`
 * so that the core does not warn about them as unknown `CHARGE_IT_*` variables.
 */
export const FIREBASE_ENV = ['CHARGE_IT_FIREBASE_DATABASE_URL', 'CHARGE_IT_FIREBASE_CREDENTIALS', 'CHARGE_IT_FIREBASE_THROTTLE_MS', 'CHARGE_IT_FIREBASE_PATH'] as const;

export const packageInfo = {
  name: '@charge-it/plugin-firebase',
  /** The host the plugin runs in: 'csms' (@charge-it/core) or 'edge' (@charge-it/edge-runtime). */
  host: 'csms',
} as const;
