import type { SessionRecord } from '../types.js';
import type { TrainingData } from './train-all.js';

/**
 * Sessions as columns of typed arrays plus a string table, so that handing 100,000 sessions to the
 * training worker is a transfer of a few buffers instead of a structured clone of 100,000 objects
 * on the main thread (which would stall the event loop for a few hundred milliseconds).
 */
export interface PackedSessions {
  n: number;
  strings: string[];
  id: Float64Array;
  chargePoint: Int32Array;
  connectorId: Int32Array;
  idTag: Int32Array;
  startedAt: Float64Array;
  stoppedAt: Float64Array;
  energyWh: Float64Array;
  /** NaN = null */
  maxPowerW: Float64Array;
  avgPowerW: Float64Array;
  idleS: Float64Array;
  /** Index of the flags joined by '\n'. */
  flags: Int32Array;
}

export type PackedTrainingData = Omit<TrainingData, 'sessions'> & { packed: PackedSessions };

const CHUNK = 10_000;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Packs the sessions, yielding to the event loop every 10,000 rows. */
export async function packTrainingData(data: TrainingData): Promise<PackedTrainingData> {
  const s = data.sessions;
  const n = s.length;
  const index = new Map<string, number>();
  const strings: string[] = [];
  const str = (v: string) => {
    let i = index.get(v);
    if (i === undefined) {
      i = strings.length;
      strings.push(v);
      index.set(v, i);
    }
    return i;
  };
  const p: PackedSessions = {
    n,
    strings,
    id: new Float64Array(n),
    chargePoint: new Int32Array(n),
    connectorId: new Int32Array(n),
    idTag: new Int32Array(n),
    startedAt: new Float64Array(n),
    stoppedAt: new Float64Array(n),
    energyWh: new Float64Array(n),
    maxPowerW: new Float64Array(n),
    avgPowerW: new Float64Array(n),
    idleS: new Float64Array(n),
    flags: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = s[i]!;
    p.id[i] = r.id;
    p.chargePoint[i] = str(r.chargePointId);
    p.connectorId[i] = r.connectorId;
    p.idTag[i] = str(r.idTag);
    p.startedAt[i] = r.startedAt;
    p.stoppedAt[i] = r.stoppedAt;
    p.energyWh[i] = r.energyWh;
    p.maxPowerW[i] = r.maxPowerW ?? NaN;
    p.avgPowerW[i] = r.avgPowerW ?? NaN;
    p.idleS[i] = r.idleS ?? NaN;
    p.flags[i] = str(r.flags.join('\n'));
    if (i % CHUNK === CHUNK - 1) await yieldToLoop();
  }
  const { sessions: _sessions, ...rest } = data;
  return { ...rest, packed: p };
}

/** The buffers to transfer (they become unusable on the sending side). */
export function transferList(p: PackedSessions): ArrayBuffer[] {
  return [p.id, p.chargePoint, p.connectorId, p.idTag, p.startedAt, p.stoppedAt, p.energyWh, p.maxPowerW, p.avgPowerW, p.idleS, p.flags].map((a) => a.buffer as ArrayBuffer);
}

export function unpackTrainingData(data: PackedTrainingData): TrainingData {
  const p = data.packed;
  const flagLists = p.strings.map((x) => (x === '' ? [] : x.split('\n')));
  const nullable = (x: number) => (Number.isNaN(x) ? null : x);
  const sessions = new Array<SessionRecord>(p.n);
  for (let i = 0; i < p.n; i++) {
    sessions[i] = {
      id: p.id[i]!,
      chargePointId: p.strings[p.chargePoint[i]!]!,
      connectorId: p.connectorId[i]!,
      idTag: p.strings[p.idTag[i]!]!,
      startedAt: p.startedAt[i]!,
      stoppedAt: p.stoppedAt[i]!,
      energyWh: p.energyWh[i]!,
      maxPowerW: nullable(p.maxPowerW[i]!),
      avgPowerW: nullable(p.avgPowerW[i]!),
      idleS: nullable(p.idleS[i]!),
      flags: flagLists[p.flags[i]!]!,
    };
  }
  const { packed: _packed, ...rest } = data;
  return { ...rest, sessions };
}
