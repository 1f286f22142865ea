import { describe, expect, it } from 'vitest';
import { chargersOf, history, recordsOf } from '../../test/support/synthetic.js';
import { SESSION_ANOMALIES_MIN_SESSIONS, scoreSession, trainSessionAnomalies } from './session-anomalies.js';

const TZ = 'Asia/Jakarta';

describe('session anomalies (Isolation Forest)', () => {
  const h = history();
  const records = recordsOf(h);
  const chargers = chargersOf(h);
  const injected = records.filter((r) => r.flags.includes('synthetic-anomaly'));

  it('ranks the injected anomalies at the top and explains each in words', () => {
    expect(injected.length).toBe(8);
    const out = trainSessionAnomalies(records, chargers, { timeZone: TZ, seed: 3, limit: 30 });
    if (out.status !== 'ok') throw new Error(out.message);
    expect(out.metric.name).toBe('precision@k');
    expect(out.metric.value!).toBeGreaterThanOrEqual(0.75);
    expect(out.metric.extra?.k).toBe(8);
    // Every injected anomaly is within the top 2k of more than 1,500 sessions.
    const top = out.result.anomalies.slice(0, 16).map((a) => a.transactionId);
    for (const s of injected) expect(top).toContain(s.id);
    const first = out.result.anomalies[0]!;
    expect(first.rank).toBe(1);
    expect(first.score).toBeGreaterThan(0.6);
    expect(first.explanation).toMatch(/^Unusual at SYN-/);
    expect(first.explanation).toMatch(/typical/);
    expect(first.reasons.length).toBeGreaterThan(0);
    // The peak-power anomaly names the feature and the charger's rating.
    const burst = out.result.anomalies.find((a) => h.sessions[a.transactionId - 1]!.anomaly === 'power-burst')!;
    expect(burst.explanation).toMatch(new RegExp(`peak power .* above the charger's ${chargers.find((c) => c.id === burst.chargePointId)!.maxPowerKw} kW rating`));
    const idle = out.result.anomalies.find((a) => h.sessions[a.transactionId - 1]!.anomaly === 'marathon-idle')!;
    expect(idle.explanation).toMatch(/stayed plugged in after charging for 2\d h/);
  });

  it('without labels, measures precision@k on held-back sessions made anomalous, against a z-score baseline', () => {
    const unlabelled = records.map((r) => ({ ...r, flags: [] as string[] }));
    const out = trainSessionAnomalies(unlabelled, chargers, { timeZone: TZ, seed: 3 });
    if (out.status !== 'ok') throw new Error(out.message);
    expect(out.metric.evaluatedOn).toMatch(/held-back sessions changed to be anomalous/);
    expect(out.metric.value!).toBeGreaterThan(10 * (out.metric.extra!.randomPrecision as number));
    expect(out.metric.baseline?.value).not.toBeNull();
  });

  it('is deterministic with a seed and scores a new session with the trained model', () => {
    const a = trainSessionAnomalies(records, chargers, { timeZone: TZ, seed: 9, trainedAt: new Date(0) });
    const b = trainSessionAnomalies(records, chargers, { timeZone: TZ, seed: 9, trainedAt: new Date(0) });
    if (a.status !== 'ok' || b.status !== 'ok') throw new Error('expected ok');
    expect(a.result.anomalies).toEqual(b.result.anomalies);
    const normal = records.find((r) => r.flags.length === 1 && r.chargePointId === 'SYN-CP-1')!;
    const weird = { ...normal, energyWh: normal.energyWh * 6, idleS: 30 * 3600, stoppedAt: normal.stoppedAt + 30 * 3600_000 };
    expect(scoreSession(a.result.model, weird).score).toBeGreaterThan(scoreSession(a.result.model, normal).score + 0.1);
  });

  it('says "not enough data yet" for an empty or tiny history', () => {
    expect(trainSessionAnomalies([], chargers)).toMatchObject({ status: 'not-enough-data', have: 0, need: SESSION_ANOMALIES_MIN_SESSIONS });
    expect(trainSessionAnomalies(records.slice(0, 10), chargers)).toMatchObject({ status: 'not-enough-data', have: 10, message: `not enough data yet (have 10 completed sessions, need ${SESSION_ANOMALIES_MIN_SESSIONS})` });
  });
});
