import { localToUtc } from '@charge-it/core/kernel';
import { gaussian, poisson, seededRandom } from '../random.js';
import { DAY_MS, HOUR_MS, localParts } from '../time.js';

/** The kinds of drivers the generator simulates (the ground truth the segments should find). */
export type DriverType = 'evening-commuter' | 'daytime-worker' | 'fleet-taxi' | 'weekend-visitor';

export const DRIVER_TYPES: readonly DriverType[] = ['evening-commuter', 'daytime-worker', 'fleet-taxi', 'weekend-visitor'];

/** The anomalies the generator injects (ground truth for the anomaly model). */
export type InjectedAnomaly = 'energy-spike' | 'marathon-idle' | 'night-bulk' | 'power-burst';

export interface SyntheticChargePoint {
  id: string;
  connectors: number;
  maxPowerKw: number;
}

export interface SyntheticHistoryOptions {
  /** Days of history, ending at `end` (default: 90). */
  days?: number;
  seed?: number;
  /** End of the history (default: now, floored to the hour). */
  end?: Date;
  /** The site's time zone (default Asia/Jakarta). */
  timeZone?: string;
  chargePoints?: readonly SyntheticChargePoint[];
  /** How many drivers of each type (default 12 commuters, 8 workers, 4 taxis, 16 visitors). */
  drivers?: Partial<Record<DriverType, number>>;
  /** Local dates (YYYY-MM-DD) that are public holidays; default: Indonesian holidays of 2025-2027. */
  holidays?: readonly string[];
  /** How many anomalous sessions to inject (default 8). */
  anomalies?: number;
  /** idTag prefix (default 'SYN-'). */
  idTagPrefix?: string;
}

export interface SyntheticSession {
  chargePointId: string;
  connectorId: number;
  idTag: string;
  startedAt: Date;
  /** When the car stopped drawing power (the rest until `stoppedAt` is idle time). */
  chargingEndedAt: Date;
  stoppedAt: Date;
  energyWh: number;
  maxPowerW: number;
  avgPowerW: number;
  driverType: DriverType;
  /** Set on the sessions made anomalous on purpose. */
  anomaly: InjectedAnomaly | null;
}

export interface SyntheticHistory {
  sessions: SyntheticSession[];
  /** idTag → driver type. */
  drivers: Map<string, DriverType>;
  chargePoints: readonly SyntheticChargePoint[];
  from: Date;
  to: Date;
}

export const DEFAULT_SYNTHETIC_CHARGE_POINTS: readonly SyntheticChargePoint[] = [
  { id: 'SYN-CP-1', connectors: 2, maxPowerKw: 22 },
  { id: 'SYN-CP-2', connectors: 2, maxPowerKw: 22 },
  { id: 'SYN-DC-1', connectors: 1, maxPowerKw: 50 },
];

/** Indonesian public holidays (fixed and announced dates) 2025-2027, local dates. */
export const INDONESIAN_HOLIDAYS: readonly string[] = [
  '2025-01-01', '2025-01-27', '2025-01-29', '2025-03-29', '2025-03-31', '2025-04-01', '2025-04-18', '2025-05-01', '2025-05-12',
  '2025-05-29', '2025-06-01', '2025-06-06', '2025-06-27', '2025-08-17', '2025-09-05', '2025-12-25',
  '2026-01-01', '2026-01-16', '2026-02-17', '2026-03-19', '2026-03-20', '2026-03-21', '2026-04-03', '2026-05-01', '2026-05-14',
  '2026-05-27', '2026-05-31', '2026-06-01', '2026-06-16', '2026-08-17', '2026-08-25', '2026-12-25',
  '2027-01-01', '2027-02-06', '2027-03-09', '2027-03-10', '2027-03-26', '2027-05-01', '2027-05-06', '2027-05-16', '2027-05-20',
  '2027-06-01', '2027-06-06', '2027-08-17', '2027-08-15', '2027-12-25',
];

interface Profile {
  /** Expected sessions on a working day / a weekend or holiday. */
  perWorkday: number;
  perOffDay: number;
  /** Arrival hour: mean and spread (local). */
  arrival: [number, number];
  /** Energy per session (kWh): mean and spread. */
  kwh: [number, number];
  /** Idle time after charging (hours): mean and spread. */
  idleH: [number, number];
  /** Share of the charger's rating the car draws. */
  powerShare: [number, number];
  /** Prefers the DC charger. */
  dc: boolean;
}

const PROFILES: Record<DriverType, Profile> = {
  'evening-commuter': { perWorkday: 0.75, perOffDay: 0.1, arrival: [18.5, 1], kwh: [18, 3], idleH: [1, 0.4], powerShare: [0.45, 0.05], dc: false },
  'daytime-worker': { perWorkday: 0.85, perOffDay: 0.02, arrival: [8.5, 0.6], kwh: [26, 4], idleH: [4.5, 1], powerShare: [0.5, 0.05], dc: false },
  'fleet-taxi': { perWorkday: 2.2, perOffDay: 1.8, arrival: [13, 3.5], kwh: [32, 5], idleH: [0.1, 0.05], powerShare: [0.8, 0.05], dc: true },
  'weekend-visitor': { perWorkday: 0.03, perOffDay: 0.35, arrival: [12.5, 2], kwh: [12, 3], idleH: [0.4, 0.2], powerShare: [0.5, 0.08], dc: false },
};

const DEFAULT_DRIVERS: Record<DriverType, number> = { 'evening-commuter': 12, 'daytime-worker': 8, 'fleet-taxi': 4, 'weekend-visitor': 16 };

const SHORT: Record<DriverType, string> = { 'evening-commuter': 'EC', 'daytime-worker': 'DW', 'fleet-taxi': 'FT', 'weekend-visitor': 'WV' };

/**
 * A seeded, realistic charging history with known structure: daily and weekly patterns from four
 * driver types, fewer commuters and workers on public holidays, connectors that are busy (a driver
 * who finds every connector taken goes elsewhere), and a few injected anomalies. The same options
 * and seed always give the same history.
 */
export function generateSyntheticHistory(options: SyntheticHistoryOptions = {}): SyntheticHistory {
  const days = Math.max(1, Math.floor(options.days ?? 90));
  const seed = options.seed ?? 1;
  const rand = seededRandom(seed);
  const timeZone = options.timeZone ?? 'Asia/Jakarta';
  const end = Math.floor((options.end ?? new Date()).getTime() / HOUR_MS) * HOUR_MS;
  const start = end - days * DAY_MS;
  const chargePoints = options.chargePoints ?? DEFAULT_SYNTHETIC_CHARGE_POINTS;
  const holidays = new Set(options.holidays ?? INDONESIAN_HOLIDAYS);
  const prefix = options.idTagPrefix ?? 'SYN-';
  const counts = { ...DEFAULT_DRIVERS, ...options.drivers };

  const drivers = new Map<string, DriverType>();
  const driverList: { idTag: string; type: DriverType; habit: number }[] = [];
  for (const type of DRIVER_TYPES) {
    for (let i = 1; i <= counts[type]; i++) {
      const idTag = `${prefix}${SHORT[type]}${String(i).padStart(3, '0')}`;
      drivers.set(idTag, type);
      // Each driver has a personal arrival habit around the type's mean.
      driverList.push({ idTag, type, habit: gaussian(rand, 0, 0.5) });
    }
  }

  // Candidate sessions: per local day, per driver.
  interface Wish { at: number; idTag: string; type: DriverType }
  const wishes: Wish[] = [];
  const firstLocal = localParts(start, timeZone);
  const [y0, m0, d0] = firstLocal.date.split('-').map(Number) as [number, number, number];
  for (let d = 0; d <= days; d++) {
    const midnight = localToUtc(timeZone, Date.UTC(y0, m0 - 1, d0 + d));
    const local = localParts(midnight + 12 * HOUR_MS, timeZone);
    const offDay = local.weekday >= 5 || holidays.has(local.date);
    for (const driver of driverList) {
      const p = PROFILES[driver.type];
      const n = poisson(rand, offDay ? p.perOffDay : p.perWorkday);
      for (let k = 0; k < n; k++) {
        const hour = Math.min(23.9, Math.max(0, gaussian(rand, p.arrival[0] + driver.habit, p.arrival[1])));
        const at = midnight + hour * HOUR_MS;
        if (at >= start && at < end) wishes.push({ at, idTag: driver.idTag, type: driver.type });
      }
    }
  }
  wishes.sort((a, b) => a.at - b.at || a.idTag.localeCompare(b.idTag));

  // Connectors are taken in arrival order; a driver who finds none free leaves.
  const busyUntil = new Map<string, number>();
  const driverBusyUntil = new Map<string, number>();
  const lastCharge = new Map<string, number>();
  const sessions: SyntheticSession[] = [];
  for (const wish of wishes) {
    if ((driverBusyUntil.get(wish.idTag) ?? 0) > wish.at) continue;
    const p = PROFILES[wish.type];
    const preferred = chargePoints.filter((cp) => (cp.maxPowerKw >= 40) === p.dc);
    const order = [...(preferred.length ? preferred : chargePoints)].sort(() => rand() - 0.5);
    let slot: { cp: SyntheticChargePoint; connectorId: number } | null = null;
    for (const cp of order) {
      for (let c = 1; c <= cp.connectors && !slot; c++) {
        if ((busyUntil.get(`${cp.id}/${c}`) ?? 0) <= wish.at) slot = { cp, connectorId: c };
      }
      if (slot) break;
    }
    if (!slot) continue;
    const share = Math.min(1, Math.max(0.15, gaussian(rand, p.powerShare[0], p.powerShare[1])));
    const powerKw = slot.cp.maxPowerKw * share;
    // The longer since the driver's last charge, the emptier the battery: 0.6× the usual energy after
    // a few hours, 1.4× after four days or more (known structure for the session regression).
    const daysSince = Math.min(4, (wish.at - (lastCharge.get(wish.idTag) ?? wish.at - 2 * DAY_MS)) / DAY_MS);
    const kwh = Math.max(1, gaussian(rand, p.kwh[0] * (0.6 + 0.2 * daysSince), p.kwh[1]));
    const chargingMs = (kwh / powerKw) * HOUR_MS;
    const idleMs = Math.max(0, gaussian(rand, p.idleH[0], p.idleH[1])) * HOUR_MS;
    const session: SyntheticSession = {
      chargePointId: slot.cp.id,
      connectorId: slot.connectorId,
      idTag: wish.idTag,
      startedAt: new Date(Math.round(wish.at)),
      chargingEndedAt: new Date(Math.round(wish.at + chargingMs)),
      stoppedAt: new Date(Math.round(wish.at + chargingMs + idleMs)),
      energyWh: Math.round(kwh * 1000),
      maxPowerW: Math.round(powerKw * 1000 * (1.03 + rand() * 0.04)),
      avgPowerW: Math.round(powerKw * 1000),
      driverType: wish.type,
      anomaly: null,
    };
    if (session.stoppedAt.getTime() > end) continue;
    sessions.push(session);
    busyUntil.set(`${slot.cp.id}/${slot.connectorId}`, session.stoppedAt.getTime());
    driverBusyUntil.set(wish.idTag, session.stoppedAt.getTime());
    lastCharge.set(wish.idTag, wish.at);
  }

  // Injected anomalies: existing sessions changed in ways no driver type explains.
  const kinds: InjectedAnomaly[] = ['energy-spike', 'marathon-idle', 'night-bulk', 'power-burst'];
  const anomalies = Math.min(options.anomalies ?? 8, Math.floor(sessions.length / 20));
  const used = new Set<number>();
  // The next session on the same connector, by index (sessions are in start order here).
  const nextIndex = new Array<number>(sessions.length).fill(-1);
  const lastOn = new Map<string, number>();
  sessions.forEach((s, j) => {
    const key = `${s.chargePointId}/${s.connectorId}`;
    const prev = lastOn.get(key);
    if (prev !== undefined) nextIndex[prev] = j;
    lastOn.set(key, j);
  });
  const nextOnConnector = (i: number) => (nextIndex[i]! >= 0 ? sessions[nextIndex[i]!] : undefined);
  for (let a = 0; a < anomalies; a++) {
    const kind = kinds[a % kinds.length]!;
    // A marathon idle needs a connector that stays free for the next 22 hours.
    const fits = (i: number) => kind !== 'marathon-idle' || (nextOnConnector(i)?.startedAt.getTime() ?? end) > sessions[i]!.chargingEndedAt.getTime() + 22 * HOUR_MS;
    let i = Math.floor(rand() * sessions.length);
    for (let tries = 0; (used.has(i) || !fits(i)) && tries < 500; tries++) i = Math.floor(rand() * sessions.length);
    if (used.has(i) || !fits(i)) continue;
    used.add(i);
    const s = sessions[i]!;
    const rating = (chargePoints.find((cp) => cp.id === s.chargePointId)?.maxPowerKw ?? 22) * 1000;
    const start = s.startedAt.getTime();
    // The changed session keeps its end, so it never overlaps the connector's next session.
    const room = s.stoppedAt.getTime() - start;
    if (kind === 'energy-spike') {
      s.energyWh = Math.round(s.energyWh * 4.5);
      s.avgPowerW = Math.round(rating * 0.98);
      s.maxPowerW = Math.round(rating * 1.0);
    } else if (kind === 'marathon-idle') {
      s.stoppedAt = new Date(s.chargingEndedAt.getTime() + 22 * HOUR_MS);
    } else if (kind === 'night-bulk') {
      const local = localParts(start, timeZone);
      const shift = ((3 - local.hourFraction + 24) % 24) * HOUR_MS;
      const next = nextOnConnector(i);
      const newStart = start + shift;
      if (next && newStart + room > next.startedAt.getTime()) {
        s.energyWh = Math.round(s.energyWh * 3);
        s.avgPowerW = Math.round(rating * 0.95);
        s.maxPowerW = Math.round(rating * 1.0);
      } else if (newStart + room < end) {
        s.startedAt = new Date(newStart);
        s.chargingEndedAt = new Date(s.chargingEndedAt.getTime() + shift);
        s.stoppedAt = new Date(s.stoppedAt.getTime() + shift);
        s.energyWh = Math.round(s.energyWh * 2.5);
      }
    } else {
      s.maxPowerW = Math.round(rating * 2.4);
      s.energyWh = Math.round(s.energyWh * 0.3);
      s.avgPowerW = Math.round(s.avgPowerW * 0.3);
    }
    s.anomaly = kind;
  }
  sessions.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  return { sessions, drivers, chargePoints, from: new Date(start), to: new Date(end) };
}
