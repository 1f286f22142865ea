import { localToUtc } from '@charge-it/core/kernel';
import { assertTimeZone } from '../time.js';
import { parseCsv, detectDelimiter } from './parse-csv.js';

/** The session fields the importer fills, and the CSV column each comes from. */
export interface ColumnMapping {
  chargePointId: string;
  connectorId?: string;
  startedAt: string;
  stoppedAt: string;
  /** Energy: give `energyKwh` or `energyWh`, or both meter columns. */
  energyKwh?: string;
  energyWh?: string;
  meterStartWh?: string;
  meterStopWh?: string;
  idTag?: string;
  maxKw?: string;
  avgKw?: string;
  /** Time spent charging as `hh:mm:ss` (the rest of the session was idle). */
  chargingDuration?: string;
}

export type DateOrder = 'ymd' | 'dmy' | 'mdy';

export interface PresetSpec {
  description: string;
  mapping: ColumnMapping;
  dateOrder: DateOrder;
  /** Columns that hold the time zone of each row's start/end (when the export says so). */
  note?: string;
}

/**
 * Column mappings of common exports. Header names are matched case-insensitively, ignoring spaces,
 * underscores and punctuation; `generic` accepts several aliases per field.
 */
export const PRESETS: Record<'charge-it' | 'steve' | 'chargepoint' | 'generic', PresetSpec> = {
  'charge-it': {
    description: "Charge-IT's own transaction export (GET /api/v1/transactions.csv)",
    mapping: { chargePointId: 'chargePointId', connectorId: 'connectorId', startedAt: 'startTimestamp', stoppedAt: 'stopTimestamp', energyWh: 'energyWh', idTag: 'idTag' },
    dateOrder: 'ymd',
  },
  steve: {
    description: 'SteVe transaction export (meter values in Wh)',
    mapping: { chargePointId: 'ChargeBox ID', connectorId: 'Connector ID', idTag: 'OCPP ID Tag', startedAt: 'Start Date/Time', stoppedAt: 'Stop Date/Time', meterStartWh: 'Start Value', meterStopWh: 'Stop Value' },
    dateOrder: 'ymd',
  },
  chargepoint: {
    description: 'ChargePoint session export (Station Name, Start Date, End Date, Energy (kWh), Charging Time, Port Number, User ID)',
    mapping: { chargePointId: 'Station Name', connectorId: 'Port Number', startedAt: 'Start Date', stoppedAt: 'End Date', energyKwh: 'Energy (kWh)', idTag: 'User ID', chargingDuration: 'Charging Time (hh:mm:ss)' },
    dateOrder: 'mdy',
  },
  generic: {
    description: 'any export with recognisable headers: charger/station, connector/port, start, end/stop, kWh/energy, idTag/user/card, max kW, avg kW',
    mapping: { chargePointId: '', startedAt: '', stoppedAt: '' },
    dateOrder: 'ymd',
  },
};

export type PresetName = keyof typeof PRESETS;

const ALIASES: Record<keyof ColumnMapping, string[]> = {
  chargePointId: ['chargepointid', 'chargepoint', 'charger', 'chargerid', 'station', 'stationid', 'stationname', 'chargeboxid', 'cp', 'evse', 'evseid'],
  connectorId: ['connectorid', 'connector', 'port', 'portnumber', 'plug', 'outlet'],
  startedAt: ['startedat', 'start', 'starttime', 'startdate', 'startdatetime', 'starttimestamp', 'sessionstart', 'pluggedin', 'begin'],
  stoppedAt: ['stoppedat', 'stop', 'end', 'endtime', 'enddate', 'stoptime', 'stopdatetime', 'stoptimestamp', 'sessionend', 'unplugged', 'finish'],
  energyKwh: ['energykwh', 'kwh', 'energy', 'consumptionkwh', 'totalkwh', 'deliveredkwh'],
  energyWh: ['energywh', 'wh'],
  meterStartWh: ['meterstartwh', 'meterstart', 'startvalue'],
  meterStopWh: ['meterstopwh', 'meterstop', 'stopvalue'],
  idTag: ['idtag', 'user', 'userid', 'rfid', 'card', 'cardid', 'token', 'driver', 'ocppidtag', 'customer'],
  maxKw: ['maxkw', 'peakkw', 'maxpowerkw', 'peakpowerkw', 'maximumkw'],
  avgKw: ['avgkw', 'averagekw', 'avgpowerkw', 'averagepowerkw', 'meankw'],
  chargingDuration: ['chargingtime', 'chargingtimehhmmss', 'chargingduration'],
};

const norm = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');

export interface ParsedSession {
  line: number;
  chargePointId: string;
  connectorId: number;
  idTag: string | null;
  startedAt: Date;
  stoppedAt: Date;
  energyWh: number;
  chargingEndedAt: Date | null;
  maxPowerW: number | null;
}

export interface SessionCsvOptions {
  preset?: PresetName;
  /** Overrides of the preset's mapping: field → CSV header. */
  columns?: Partial<ColumnMapping>;
  /** IANA zone of times written without an offset (default UTC). Times with `Z` or `+07:00` keep theirs. */
  timeZone?: string;
  dateOrder?: DateOrder;
  delimiter?: string;
}

export interface SessionCsvResult {
  sessions: ParsedSession[];
  errors: { line: number; message: string }[];
  /** field → the header it was read from. */
  mapping: Partial<Record<keyof ColumnMapping, string>>;
  rows: number;
}

/** Parses a date: ISO 8601 (with or without offset), `YYYY-MM-DD HH:mm[:ss]`, or `D/M/YYYY`/`M/D/YYYY H:mm[:ss] [AM|PM]`. */
export function parseDateTime(text: string, timeZone: string, order: DateOrder): Date | null {
  const t = text.trim();
  if (!t) return null;
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(t)) {
    const d = new Date(t.replace(' ', 'T'));
    return Number.isNaN(d.getTime()) ? null : d;
  }
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/.exec(t);
  let y: number, mo: number, d: number, h: number, mi: number, s: number;
  if (m) {
    [y, mo, d, h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  } else {
    m = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?$/i.exec(t);
    if (!m) return null;
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (order === 'mdy') [mo, d] = [a, b];
    else [d, mo] = [a, b];
    y = Number(m[3]);
    h = Number(m[4] ?? 0);
    mi = Number(m[5] ?? 0);
    s = Number(m[6] ?? 0);
    const ampm = m[7]?.toUpperCase();
    if (ampm === 'PM' && h < 12) h += 12;
    if (ampm === 'AM' && h === 12) h = 0;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const ms = localToUtc(timeZone, Date.UTC(y, mo - 1, d, h, mi, s));
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCDate() !== d) return null; // 31 February
  return new Date(ms);
}

function parseNumber(text: string, delimiter: string): number | null {
  let t = text.trim().replace(/\s/g, '');
  if (!t) return null;
  if (delimiter === ';' && /^-?\d+(\.\d{3})*,\d+$/.test(t)) t = t.replace(/\./g, '').replace(',', '.');
  else t = t.replace(/,(?=\d{3}(\D|$))/g, '');
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function parseDuration(text: string): number | null {
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(text.trim());
  return m ? (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000 : null;
}

/**
 * Reads historical sessions from a CSV export. Bad rows are reported with their line number and
 * skipped; the others are returned. Throws only when the file cannot be used at all (no header, a
 * required column missing), with a message that names the columns found.
 */
export function parseSessionCsv(text: string, options: SessionCsvOptions = {}): SessionCsvResult {
  const timeZone = options.timeZone ?? 'UTC';
  assertTimeZone(timeZone);
  const preset = PRESETS[options.preset ?? 'generic'];
  if (!preset) throw new Error(`unknown preset "${options.preset}": use one of ${Object.keys(PRESETS).join(', ')}`);
  const order = options.dateOrder ?? preset.dateOrder;
  const delimiter = options.delimiter ?? detectDelimiter(text);
  const records = parseCsv(text, delimiter);
  if (records.length === 0) throw new Error('the file is empty: expected a header line and one session per line');
  const header = records[0]!.fields.map((h) => h.trim());
  const byNorm = new Map(header.map((h, i) => [norm(h), i] as const));
  const wanted: Partial<ColumnMapping> = { ...preset.mapping, ...options.columns };
  const index: Partial<Record<keyof ColumnMapping, number>> = {};
  const mapping: SessionCsvResult['mapping'] = {};
  for (const field of Object.keys(ALIASES) as (keyof ColumnMapping)[]) {
    const explicit = wanted[field];
    let i: number | undefined;
    if (explicit) {
      i = byNorm.get(norm(explicit));
      if (i === undefined && options.columns?.[field]) throw new Error(`column "${explicit}" (for ${field}) is not in the file; its columns are: ${header.join(', ')}`);
    }
    if (i === undefined && (options.preset ?? 'generic') === 'generic') for (const alias of ALIASES[field]) if (i === undefined) i = byNorm.get(alias);
    if (i !== undefined) {
      index[field] = i;
      mapping[field] = header[i];
    }
  }
  const missing = (['chargePointId', 'startedAt', 'stoppedAt'] as const).filter((f) => index[f] === undefined);
  if (index.energyKwh === undefined && index.energyWh === undefined && (index.meterStartWh === undefined || index.meterStopWh === undefined)) missing.push('energy (kWh or Wh)' as never);
  if (missing.length) {
    throw new Error(`cannot find the column(s) for ${missing.join(', ')}; the file's columns are: ${header.join(', ')} — choose a preset (--preset) or map them (--column field=Header)`);
  }

  const sessions: ParsedSession[] = [];
  const errors: SessionCsvResult['errors'] = [];
  for (const rec of records.slice(1)) {
    const get = (f: keyof ColumnMapping) => (index[f] === undefined ? '' : (rec.fields[index[f]!] ?? '').trim());
    const fail = (message: string) => errors.push({ line: rec.line, message });
    if (rec.fields.length < header.length && rec.fields.every((f) => f.trim() === '')) continue;
    const chargePointId = get('chargePointId');
    if (!chargePointId) {
      fail('no charge point');
      continue;
    }
    const connectorText = get('connectorId');
    const connectorId = connectorText === '' ? 1 : Number(connectorText);
    if (!Number.isInteger(connectorId) || connectorId < 1) {
      fail(`connector "${connectorText}" is not a positive whole number`);
      continue;
    }
    const startedAt = parseDateTime(get('startedAt'), timeZone, order);
    const stoppedAt = parseDateTime(get('stoppedAt'), timeZone, order);
    if (!startedAt) {
      fail(`start "${get('startedAt')}" is not a date and time this importer reads (e.g. 2026-03-01 18:05, 2026-03-01T18:05:00+07:00${order === 'ymd' ? '' : order === 'dmy' ? ', 01/03/2026 18:05' : ', 3/1/2026 6:05 PM'})`);
      continue;
    }
    if (!stoppedAt) {
      fail(`end "${get('stoppedAt')}" is not a date and time this importer reads`);
      continue;
    }
    if (stoppedAt < startedAt) {
      fail(`the session ends (${stoppedAt.toISOString()}) before it starts (${startedAt.toISOString()})`);
      continue;
    }
    let energyWh: number | null = null;
    if (index.energyWh !== undefined && get('energyWh') !== '') energyWh = parseNumber(get('energyWh'), delimiter);
    else if (index.energyKwh !== undefined && get('energyKwh') !== '') {
      const k = parseNumber(get('energyKwh'), delimiter);
      energyWh = k === null ? null : k * 1000;
    } else if (index.meterStartWh !== undefined) {
      const a = parseNumber(get('meterStartWh'), delimiter);
      const b = parseNumber(get('meterStopWh'), delimiter);
      energyWh = a === null || b === null ? null : b - a;
    }
    if (energyWh === null || energyWh < 0) {
      fail(`energy is missing or not a non-negative number`);
      continue;
    }
    const idTag = get('idTag') || null;
    if (idTag && idTag.length > 20) {
      fail(`idTag "${idTag}" is longer than 20 characters`);
      continue;
    }
    const maxKw = index.maxKw !== undefined ? parseNumber(get('maxKw'), delimiter) : null;
    const avgKw = index.avgKw !== undefined ? parseNumber(get('avgKw'), delimiter) : null;
    let chargingEndedAt: Date | null = null;
    const chargingMs = index.chargingDuration !== undefined ? parseDuration(get('chargingDuration')) : null;
    if (chargingMs !== null) chargingEndedAt = new Date(Math.min(stoppedAt.getTime(), startedAt.getTime() + chargingMs));
    else if (avgKw && avgKw > 0) chargingEndedAt = new Date(Math.min(stoppedAt.getTime(), startedAt.getTime() + (energyWh / (avgKw * 1000)) * 3_600_000));
    sessions.push({
      line: rec.line,
      chargePointId,
      connectorId,
      idTag,
      startedAt,
      stoppedAt,
      energyWh: Math.round(energyWh),
      chargingEndedAt,
      maxPowerW: maxKw === null ? null : Math.round(maxKw * 1000),
    });
  }
  return { sessions, errors, mapping, rows: records.length - 1 };
}
