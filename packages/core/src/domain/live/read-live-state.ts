import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { MeterValue, RegistrationStatus } from '../../ocpp/v16/messages.js';
import { ChargePointSchema, ConnectorSchema, MeterSampleSchema, TransactionSchema } from '../../persistence/entities/index.js';
import { ENERGY_REGISTER } from '../meter-values/normalise-sampled-value.js';
import type { TariffSettings } from '../settings/settings-service.js';
import { findChargingEndedAt } from '../tariffs/charging-ended-at.js';
import { tariffFromBreakdown } from '../tariffs/compute-cost.js';
import type { LiveRestoreData } from './live-state.js';
import { readMeterValues } from './meter-reading.js';
import { timeSourceOf } from './time-source.js';

/** Samples read per open transaction for energy, power, current and SoC (the newest of each is used). */
const RECENT_SAMPLES = 48;
const LIVE_MEASURANDS = ['Power.Active.Import', 'Current.Import', 'SoC'];

/**
 * Reads the live state from the database at start: every charge point with its boot info, the
 * last status of every connector, each open transaction with its latest energy register, power,
 * current and SoC samples (and its idle run when the tariff has an idle fee), and the sessions that
 * finished within `lastSessionMinutes`. One to three queries per open transaction.
 */
export async function readLiveState(
  orm: MikroORM,
  options: { currentTariff: TariffSettings; siteMaxGridPowerKw: number | null; lastSessionMinutes: number; now: Date },
): Promise<LiveRestoreData> {
  const em = orm.em.fork() as EntityManager;
  const chargePoints = await em.find(ChargePointSchema, {}, { orderBy: { id: 'asc' } });
  const connectors = await em.find(ConnectorSchema, {}, { orderBy: { id: 'asc' } });
  const open = await em.find(TransactionSchema, { status: 'Active' }, { orderBy: { id: 'asc' } });
  const finished = await em.find(
    TransactionSchema,
    { status: 'Completed', stopReceivedAt: { $gte: new Date(options.now.getTime() - options.lastSessionMinutes * 60_000) } },
    { orderBy: { stopReceivedAt: 'asc', id: 'asc' } },
  );

  const openSessions: LiveRestoreData['openSessions'] = [];
  for (const tx of open) {
    const timeSource = timeSourceOf(tx.flags);
    const tariff = tariffFromBreakdown(tx.costBreakdown) ?? options.currentTariff;
    // The newest samples of the quantities shown; the energy register is looked up on its own
    // only when the charger sends it less often than the others.
    const recent = await em.find(
      MeterSampleSchema,
      { transaction: tx.id, measurand: { $in: [ENERGY_REGISTER, ...LIVE_MEASURANDS] }, value: { $ne: null } },
      { orderBy: { timestamp: 'desc', id: 'desc' }, limit: RECENT_SAMPLES },
    );
    const isRegister = (s: (typeof recent)[number]) => s.measurand === ENERGY_REGISTER && s.phase === null && s.unit === 'Wh';
    const energy =
      recent.find(isRegister) ??
      (await em.findOne(
        MeterSampleSchema,
        { transaction: tx.id, measurand: ENERGY_REGISTER, phase: null, unit: 'Wh', value: { $ne: null } },
        { orderBy: { timestamp: 'desc', id: 'desc' } },
      ));
    // The stored samples (units already normalised), grouped back into meter values by timestamp.
    const byTime = new Map<number, MeterValue>();
    for (const s of recent) {
      if (s.measurand === ENERGY_REGISTER) continue;
      const at = s.timestamp.getTime();
      let mv = byTime.get(at);
      if (!mv) byTime.set(at, (mv = { timestamp: s.timestamp.toISOString(), sampledValue: [] }));
      mv.sampledValue.push({ value: String(s.value), measurand: s.measurand, unit: s.unit as never, ...(s.phase ? { phase: s.phase } : {}) });
    }
    const reading = readMeterValues([...byTime.values()], tx.startReceivedAt);
    const latestReceived = [energy, ...recent].reduce<Date>(
      (max, s) => (s && s.receivedAt.getTime() > max.getTime() ? s.receivedAt : max),
      tx.startReceivedAt,
    );
    openSessions.push({
      chargePointId: tx.chargePoint,
      transactionId: tx.id,
      connectorId: tx.connectorId,
      idTag: tx.idTag,
      meterStartWh: Number(tx.meterStart),
      startedAt: tx.startTimestamp,
      startReceivedAt: tx.startReceivedAt,
      tariff,
      timeSource,
      register: energy?.value == null ? null : { valueWh: Number(energy.value), at: energy.timestamp.getTime() },
      powerW: reading.powerW ?? null,
      currentA: reading.currentA ?? null,
      socPercent: reading.socPercent ?? null,
      updatedAt: latestReceived,
      // Only an idle fee makes the idle run matter (statuses after start are followed in memory).
      idleSince:
        tariff.idleFeePerMinute > 0
          ? await findChargingEndedAt(em, { chargePointId: tx.chargePoint, connectorId: tx.connectorId, receivedFrom: tx.startReceivedAt, timeSource })
          : null,
    });
  }

  return {
    siteMaxGridPowerKw: options.siteMaxGridPowerKw,
    chargePoints: chargePoints.map((cp) => ({
      id: cp.id,
      registrationStatus: (cp.registrationStatus ?? null) as RegistrationStatus | null,
      vendor: cp.vendor ?? null,
      model: cp.model ?? null,
      firmwareVersion: cp.firmwareVersion ?? null,
      lastSeenAt: cp.lastSeenAt ?? null,
    })),
    connectors: connectors.map((c) => ({
      chargePointId: c.chargePoint,
      connectorId: c.connectorId,
      status: c.status ?? null,
      errorCode: c.errorCode ?? null,
      info: c.info ?? null,
      vendorErrorCode: c.vendorErrorCode ?? null,
      since: c.statusTimestamp ?? c.updatedAt ?? null,
    })),
    openSessions,
    lastSessions: finished.map((tx) => ({
      chargePointId: tx.chargePoint,
      transactionId: tx.id,
      connectorId: tx.connectorId,
      idTag: tx.idTag,
      startedAt: tx.startTimestamp,
      stoppedAt: tx.stopTimestamp ?? tx.stopReceivedAt ?? tx.startTimestamp,
      stopReceivedAt: tx.stopReceivedAt ?? options.now,
      energyWh: Number(tx.energyWh ?? 0),
      costIdr: tx.cost == null ? null : Number(tx.cost),
      stopReason: tx.stopReason ?? null,
    })),
  };
}
