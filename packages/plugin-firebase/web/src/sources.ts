/**
 * Where the page gets a connector's live state from: Firebase (web SDK, modular) when configured
 * and reachable, else the central system's public LAN view (SSE). Both give the same
 * PublicConnectorView JSON.
 */
import { initializeApp, type FirebaseApp } from 'firebase/app';
import { connectDatabaseEmulator, getDatabase, onValue, ref, type Database } from 'firebase/database';
import { stationKey } from '../../src/layout.js';
import type { PageConfig } from './config.js';

export interface SessionView {
  transactionId: number;
  idTagMasked: string;
  startedAt: string;
  durationS: number;
  energyWh: number;
  powerW: number | null;
  socPercent: number | null;
  costIdr: number | null;
  updatedAt: string;
}
export interface SummaryView {
  transactionId: number;
  idTagMasked: string;
  startedAt: string;
  stoppedAt: string;
  durationS: number;
  energyWh: number;
  costIdr: number | null;
  stopReason: string | null;
}
export interface ConnectorView {
  chargePointId: string;
  connectorId: number;
  status: string | null;
  since: string | null;
  session: SessionView | null;
  lastSession: SummaryView | null;
}

export type Source = 'firebase' | 'lan';

export interface Update {
  /** The connector (null: not known); absent when the update is only about `online`. */
  view?: ConnectorView | null;
  source: Source;
  /** Station online (Firebase only; undefined when unknown). */
  online?: boolean;
}

/** Firebase stores no nulls: put them back so both sources give the same shape. */
export function normaliseView(v: any, chargePointId: string, connectorId: number): ConnectorView | null {
  if (!v || typeof v !== 'object') return null;
  const s = v.session;
  const l = v.lastSession;
  return {
    chargePointId: v.chargePointId ?? chargePointId,
    connectorId: v.connectorId ?? connectorId,
    status: v.status ?? null,
    since: v.since ?? null,
    session: s
      ? {
          transactionId: s.transactionId,
          idTagMasked: s.idTagMasked ?? '',
          startedAt: s.startedAt,
          durationS: s.durationS ?? 0,
          energyWh: s.energyWh ?? 0,
          powerW: s.powerW ?? null,
          socPercent: s.socPercent ?? null,
          costIdr: s.costIdr ?? null,
          updatedAt: s.updatedAt,
        }
      : null,
    lastSession: l
      ? {
          transactionId: l.transactionId,
          idTagMasked: l.idTagMasked ?? '',
          startedAt: l.startedAt,
          stoppedAt: l.stoppedAt,
          durationS: l.durationS ?? 0,
          energyWh: l.energyWh ?? 0,
          costIdr: l.costIdr ?? null,
          stopReason: l.stopReason ?? null,
        }
      : null,
  };
}

let app: FirebaseApp | null = null;
let db: Database | null = null;
let serverOffsetMs = 0;

/** Firebase server time minus the phone's clock (ms), from `.info/serverTimeOffset`. */
export function firebaseServerOffsetMs(): number {
  return serverOffsetMs;
}

export function firebaseDb(config: PageConfig): Database | null {
  if (!config.firebase) return null;
  if (db) return db;
  const { emulatorHost, ...web } = config.firebase;
  app = initializeApp(web);
  db = getDatabase(app);
  if (emulatorHost) {
    const [host, port] = emulatorHost.split(':');
    connectDatabaseEmulator(db, host!, Number(port ?? 9000));
  }
  onValue(ref(db, '.info/serverTimeOffset'), (snap) => {
    const v = snap.val();
    if (typeof v === 'number' && Number.isFinite(v)) serverOffsetMs = v;
  });
  return db;
}

/** Path of a station in the database. */
export function stationRefPath(config: PageConfig, chargePointId: string): string {
  return `${config.root}/stations/${stationKey(chargePointId)}`;
}

export interface WatchHandle {
  stop(): void;
}

/**
 * Watches one connector. Firebase first; if it is not configured, fails, or does not deliver within
 * `fallbackMs`, the LAN view starts too. Whatever delivers last is shown.
 */
export function watchConnector(
  config: PageConfig,
  chargePointId: string,
  connectorId: number,
  onUpdate: (u: Update) => void,
  onLink: (state: 'connecting' | 'ok' | 'down') => void,
  fallbackMs = 4000,
): WatchHandle {
  const stops: (() => void)[] = [];
  let gotFirebase = false;
  let lanStarted = false;

  const startLan = () => {
    if (lanStarted || !config.lan) return;
    lanStarted = true;
    const base = `${config.lan}/connectors/${encodeURIComponent(chargePointId)}/${connectorId}`;
    let es: EventSource | null = null;
    let closed = false;
    const open = () => {
      if (closed) return;
      es = new EventSource(`${base}/stream`);
      es.addEventListener('connector', (e) => {
        onLink('ok');
        onUpdate({ view: normaliseView(JSON.parse((e as MessageEvent).data), chargePointId, connectorId), source: 'lan' });
      });
      es.onerror = () => {
        if (gotFirebase) return;
        onLink('down');
        // A 404 (unknown connector) closes the stream: ask once to tell "not found" from "down".
        if (es && es.readyState === EventSource.CLOSED) {
          fetch(base, { cache: 'no-store' })
            .then((r) => {
              if (r.status === 404) onUpdate({ view: null, source: 'lan' });
            })
            .catch(() => {});
          setTimeout(open, 5000);
        }
      };
    };
    open();
    stops.push(() => {
      closed = true;
      es?.close();
    });
  };

  const database = (() => {
    try {
      return firebaseDb(config);
    } catch {
      return null;
    }
  })();
  onLink('connecting');
  if (database) {
    const path = stationRefPath(config, chargePointId);
    stops.push(
      onValue(
        ref(database, `${path}/connectors/${connectorId}`),
        (snap) => {
          gotFirebase = true;
          onLink('ok');
          onUpdate({ view: normaliseView(snap.val(), chargePointId, connectorId), source: 'firebase' });
        },
        () => startLan(),
      ),
    );
    stops.push(
      onValue(
        ref(database, `${path}/online`),
        (snap) => {
          const v = snap.val();
          if (typeof v === 'boolean') onUpdate({ source: 'firebase', online: v });
        },
        () => {},
      ),
    );
    stops.push(
      onValue(ref(database, '.info/connected'), (snap) => {
        if (snap.val() === true) onLink('ok');
        else if (gotFirebase && !lanStarted) onLink('down');
      }),
    );
    const timer = setTimeout(() => {
      if (!gotFirebase) startLan();
    }, fallbackMs);
    stops.push(() => clearTimeout(timer));
  } else {
    startLan();
  }
  return { stop: () => stops.forEach((s) => s()) };
}

/** The connector ids of a station (Firebase), or null when unknown. */
export function watchStation(config: PageConfig, chargePointId: string, onConnectors: (ids: number[] | null, views: Map<number, ConnectorView>) => void): WatchHandle {
  const database = (() => {
    try {
      return firebaseDb(config);
    } catch {
      return null;
    }
  })();
  if (!database) return { stop() {} };
  const stop = onValue(
    ref(database, `${stationRefPath(config, chargePointId)}/connectors`),
    (snap) => {
      const views = new Map<number, ConnectorView>();
      snap.forEach((child) => {
        const id = Number(child.key);
        const v = normaliseView(child.val(), chargePointId, id);
        if (Number.isInteger(id) && id > 0 && v) views.set(id, v);
      });
      onConnectors(views.size ? [...views.keys()].sort((a, b) => a - b) : null, views);
    },
    () => onConnectors(null, new Map()),
  );
  return { stop };
}
