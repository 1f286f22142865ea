import { deleteApp, initializeApp, cert, applicationDefault, type App, type Credential } from 'firebase-admin/app';
import { getDatabase, type Database } from 'firebase-admin/database';
import {
  definePlugin,
  toPublicConnectorView,
  type CsmsPluginContext,
  type LiveChargePoint,
  type LiveConnector,
  type LiveEvent,
  type LiveStateService,
  type PublicConnectorView,
} from '@charge-it/core';
import { resolveAccess, FirebaseConfigError, type FirebaseAccess, type ServiceAccountKey } from './credentials.js';
import { DEFAULT_ROOT, connectorPath, normaliseRoot, stationPath } from './layout.js';
import { MirrorWriter, type MirrorWriterStats } from './mirror-writer.js';
import { registerDriverPage, type DriverPageOptions } from './driver-page.js';

export interface FirebaseMirrorOptions {
  /**
   * The Realtime Database URL (`https://<project>-default-rtdb.<region>.firebasedatabase.app`).
   * Env: CHARGE_IT_FIREBASE_DATABASE_URL. Without it the mirror is off (the driver page uses the LAN view).
   */
  databaseURL?: string;
  /**
   * A service-account key: the JSON file's path, or its parsed content. Env:
   * CHARGE_IT_FIREBASE_CREDENTIALS; else GOOGLE_APPLICATION_CREDENTIALS. Not needed for an emulator
   * (FIREBASE_DATABASE_EMULATOR_HOST, or an `http://host:port?ns=...` databaseURL).
   */
  credentials?: string | ServiceAccountKey;
  /** At most one write per connector per this many ms (status changes go at once). Default 1000. Env: CHARGE_IT_FIREBASE_THROTTLE_MS. */
  throttleMs?: number;
  /** Root of the layout in the database. Default 'v1'. Env: CHARGE_IT_FIREBASE_PATH. */
  path?: string;
  /**
   * How often connectors that show a finished session's summary are re-read (ms, default 30000): the
   * core drops the summary after `live.lastSessionMinutes` without an event, and the database follows.
   */
  sweepMs?: number;
  /** Log a warning when Firebase is not connected this long after start (ms, default 30000). */
  connectWarnMs?: number;
  /** The driver page at /driver/ (default on). `false` to not serve it. */
  driverPage?: boolean | DriverPageOptions;
  /** Where to read the environment (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/** `services.get('firebaseMirror')`. */
export interface FirebaseMirrorService {
  /** 'off' (not configured), 'connecting', 'online', 'offline' (link down; latest state kept), 'closed'. */
  readonly state: 'off' | 'connecting' | 'online' | 'offline' | 'closed';
  /** Why it is off, when it is. */
  readonly offReason: string | null;
  /** The root path written to (e.g. 'v1'). */
  readonly root: string;
  stats(): MirrorWriterStats & { state: FirebaseMirrorService['state'] };
  /** Resolves true when every state so far is acknowledged by Firebase (false after timeoutMs). */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Whether the state of this connector is waiting to be written or unacknowledged. */
  busy(chargePointId: string, connectorId: number): boolean;
}

declare module '@charge-it/core' {
  interface CsmsServices {
    firebaseMirror: FirebaseMirrorService;
  }
}

/** The emulator accepts the token 'owner' as the database owner; no Google token is fetched. */
const emulatorCredential: Credential = {
  getAccessToken: async () => ({ access_token: 'owner', expires_in: 3600 }),
};

let appSeq = 0;

/**
 * The Firebase mirror: writes the public live state of each station and connector to the Realtime
 * Database (layout in layout.ts and the README), coalesced and throttled, from `services.get('live')`.
 * It never sits in the OCPP path: live events only update a map; writes happen on timers.
 */
export function firebaseMirror(options: FirebaseMirrorOptions = {}) {
  return definePlugin({
    name: 'firebase-mirror',
    async setup(ctx: CsmsPluginContext) {
      const env = options.env ?? process.env;
      const throttleMs = options.throttleMs ?? numberEnv(env.CHARGE_IT_FIREBASE_THROTTLE_MS, 'CHARGE_IT_FIREBASE_THROTTLE_MS') ?? 1000;
      if (!Number.isFinite(throttleMs) || throttleMs < 0) throw new FirebaseConfigError(`firebaseMirror: throttleMs must be a number ≥ 0 (got ${throttleMs})`);
      const root = normaliseRoot(options.path ?? (env.CHARGE_IT_FIREBASE_PATH || DEFAULT_ROOT));
      const access = resolveAccess({ databaseURL: options.databaseURL, credentials: options.credentials, env });
      const live = ctx.services.get('live');

      const timing = { sweepMs: options.sweepMs ?? 30_000, connectWarnMs: options.connectWarnMs ?? 30_000 };
      const mirror = access.kind === 'off' ? offService(access.reason, root) : startMirror(ctx, live, access, root, throttleMs, timing);
      if (access.kind === 'off') ctx.log.warn(`Firebase mirror is off: ${access.reason}. The driver page uses the LAN view.`);
      ctx.provide('firebaseMirror', mirror.service);
      ctx.onClose(() => mirror.close());

      if (options.driverPage !== false) {
        const pageOptions = typeof options.driverPage === 'object' ? options.driverPage : {};
        registerDriverPage(ctx, {
          ...pageOptions,
          root,
          firebase:
            access.kind === 'off'
              ? null
              : { databaseURL: access.databaseURL, ...(access.kind === 'emulator' ? { emulatorHost: access.emulatorHost } : {}), ...pageOptions.web },
          lan: ctx.config.publicLive,
        });
        if (access.kind === 'off' && !ctx.config.publicLive) {
          ctx.log.warn('The driver page at /driver/ has no data source: Firebase is off and the public LAN view is off (set CHARGE_IT_PUBLIC_LIVE=true or configure Firebase)');
        }
      }
    },
  });
}

function numberEnv(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new FirebaseConfigError(`${name} must be a number of milliseconds (got ${JSON.stringify(value)})`);
  return n;
}

function offService(reason: string, root: string): { service: FirebaseMirrorService; close(): Promise<void> } {
  const empty: MirrorWriterStats = { pendingKeys: 0, inFlightKeys: 0, batchesSent: 0, batchesAcked: 0, batchesFailed: 0, statesSent: 0, statesCoalesced: 0, lastAckAt: null, lastError: null };
  return {
    service: {
      state: 'off',
      offReason: reason,
      root,
      stats: () => ({ ...empty, state: 'off' }),
      flush: async () => true,
      busy: () => false,
    },
    close: async () => {},
  };
}

function startMirror(
  ctx: CsmsPluginContext,
  live: LiveStateService,
  access: Exclude<FirebaseAccess, { kind: 'off' }>,
  root: string,
  throttleMs: number,
  { sweepMs, connectWarnMs }: { sweepMs: number; connectWarnMs: number },
): { service: FirebaseMirrorService; close(): Promise<void> } {
  const log = ctx.log;
  const clock = ctx.services.get('clock');
  const credential =
    access.kind === 'emulator' ? emulatorCredential : access.kind === 'serviceAccount' ? cert(access.key as Parameters<typeof cert>[0]) : applicationDefault();
  const app: App = initializeApp({ databaseURL: access.databaseURL, credential }, `charge-it-mirror-${process.pid}-${++appSeq}`);
  const db: Database = getDatabase(app);
  let state: FirebaseMirrorService['state'] = 'connecting';
  let lastErrorLogAt = 0;
  const writer = new MirrorWriter({
    sink: { update: (paths) => db.ref().update(paths) },
    throttleMs,
    onError(err, keys) {
      // One line per minute at most: a wrong rule or key must be visible without flooding the log.
      if (Date.now() - lastErrorLogAt < 60_000) return;
      lastErrorLogAt = Date.now();
      log.error({ err, keys: keys.slice(0, 5) }, `Firebase mirror: write failed (${(err as Error)?.message ?? err}); the latest state is kept and retried`);
    },
  });

  /** What was last queued per key, to tell status changes (urgent) from progress. */
  const lastConnector = new Map<string, PublicConnectorView>();
  const lastOnline = new Map<string, boolean>();

  const putConnector = (c: LiveConnector, force = false) => {
    if (c.connectorId <= 0) return; // connector 0 is the charge point as a whole
    const view = toPublicConnectorView(c, clock.now());
    const key = `c:${c.chargePointId}/${c.connectorId}`;
    const prev = lastConnector.get(key);
    const urgent =
      force ||
      !prev ||
      prev.status !== view.status ||
      (prev.session?.transactionId ?? null) !== (view.session?.transactionId ?? null) ||
      (prev.lastSession?.transactionId ?? null) !== (view.lastSession?.transactionId ?? null);
    lastConnector.set(key, view);
    writer.put(key, { [connectorPath(root, c.chargePointId, c.connectorId)]: plainJson(view) }, { urgent });
  };
  const putStation = (cp: LiveChargePoint, at: string, force = false) => {
    const key = `s:${cp.id}`;
    const urgent = force || lastOnline.get(cp.id) !== cp.connected;
    lastOnline.set(cp.id, cp.connected);
    const base = stationPath(root, cp.id);
    writer.put(key, { [`${base}/chargePointId`]: cp.id, [`${base}/online`]: cp.connected, [`${base}/updatedAt`]: at }, { urgent });
  };
  const putAll = () => {
    const snap = live.snapshot();
    for (const cp of snap.chargePoints) {
      putStation(cp, snap.at, true);
      for (const c of cp.connectors) putConnector(c, true);
    }
  };

  const onEvent = (event: LiveEvent) => {
    try {
      if (event.type === 'connector') putConnector(event.connector);
      else if (event.type === 'chargePoint') {
        putStation(event.chargePoint, event.at);
        for (const c of event.chargePoint.connectors) putConnector(c);
      }
    } catch (err) {
      log.error({ err }, 'Firebase mirror: could not queue a live event');
    }
  };

  const unsubscribe = live.subscribe(onEvent);
  putAll();

  // The link: log transitions once; after an outage write everything again (self-healing even if
  // the database lost data meanwhile; coalescing keeps it to one state per key).
  let everOnline = false;
  const connectedRef = db.ref('.info/connected');
  const onConnected = connectedRef.on('value', (snap) => {
    const online = snap.val() === true;
    if (online) {
      if (everOnline) {
        log.info('Firebase mirror: link back; writing the latest state');
        putAll();
      } else log.info(`Firebase mirror: connected to ${access.databaseURL} (root /${root}, throttle ${throttleMs} ms)`);
      everOnline = true;
      state = 'online';
    } else if (state === 'online') {
      state = 'offline';
      log.warn('Firebase mirror: link to Firebase lost; keeping only the latest state per connector until it returns');
    }
  });

  const connectWarning = setTimeout(() => {
    if (!everOnline) {
      log.warn(
        `Firebase mirror: not connected to ${access.databaseURL} after ${Math.round(connectWarnMs / 1000)} s (check the network, the database URL and the service-account key); OCPP is not affected, the latest state per connector is kept`,
      );
    }
  }, connectWarnMs);
  connectWarning.unref();

  // The core drops a finished session's summary after a while without necessarily sending an event:
  // re-read connectors that still show one, so the database follows.
  const sweep = setInterval(() => {
    for (const [key, view] of lastConnector) {
      if (!view.lastSession && !view.session) continue;
      const c = live.connector(view.chargePointId, view.connectorId);
      if (!c) continue;
      const now = toPublicConnectorView(c, clock.now());
      if ((now.lastSession?.transactionId ?? null) !== (view.lastSession?.transactionId ?? null) && !writer.busy(key)) putConnector(c);
    }
  }, sweepMs);
  sweep.unref();

  const service: FirebaseMirrorService = {
    get state() {
      return state;
    },
    offReason: null,
    root,
    stats: () => ({ ...writer.stats(), state }),
    flush: (timeoutMs) => writer.idle(timeoutMs),
    busy: (cp, id) => writer.busy(`c:${cp}/${id}`),
  };

  return {
    service,
    async close() {
      unsubscribe();
      clearInterval(sweep);
      clearTimeout(connectWarning);
      // Give a reachable Firebase a moment to take the last states; never hang on a dead one.
      await writer.idle(state === 'online' ? 2_000 : 0);
      writer.close();
      connectedRef.off('value', onConnected);
      state = 'closed';
      await deleteApp(app).catch(() => {});
    },
  };
}

/** A JSON-safe copy (no undefined, which Firebase refuses). */
function plainJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
