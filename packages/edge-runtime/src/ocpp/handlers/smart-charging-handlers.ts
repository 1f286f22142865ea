import type { ChargingProfile } from '../ocpp-types.js';
import type { CallHandler, HandlerContext } from './handler-context.js';

function validProfile(p: ChargingProfile, ctx: HandlerContext): boolean {
  if (p.stackLevel > ctx.config.int('ChargeProfileMaxStackLevel')) return false;
  if (p.chargingSchedule.chargingSchedulePeriod.length > ctx.config.int('ChargingScheduleMaxPeriods')) return false;
  if (p.chargingSchedule.chargingSchedulePeriod.length === 0) return false;
  if (p.chargingProfileKind === 'Recurring' && !p.recurrencyKind) return false;
  if (p.chargingProfileKind === 'Absolute' && p.chargingSchedule.startSchedule && Number.isNaN(Date.parse(p.chargingSchedule.startSchedule))) return false;
  if (p.chargingSchedule.chargingSchedulePeriod.some((x) => x.limit < 0)) return false;
  return true;
}

export const setChargingProfile: CallHandler<'SetChargingProfile'> = ({ connectorId, csChargingProfiles }, ctx) => {
  const p = csChargingProfiles as ChargingProfile;
  const c = ctx.controller.connector(connectorId);
  if (!c || !validProfile(p, ctx)) return { status: 'Rejected' };
  switch (p.chargingProfilePurpose) {
    case 'ChargePointMaxProfile':
      if (connectorId !== 0) return { status: 'Rejected' };
      break;
    case 'TxProfile': {
      // Only for a running transaction (S16 §5.16.3); connector 0 makes no sense.
      const tx = c.transaction;
      if (connectorId === 0 || !tx) return { status: 'Rejected' };
      const txId = tx.transactionId ?? ctx.outbox.transactionIdOf(tx.txLocal);
      if (p.transactionId !== undefined && txId !== undefined && p.transactionId !== txId) return { status: 'Rejected' };
      break;
    }
    case 'TxDefaultProfile':
      break;
  }
  ctx.profiles.install(connectorId, p, ctx.clock.now());
  ctx.controller.applyLimits();
  return { status: 'Accepted' };
};

export const clearChargingProfile: CallHandler<'ClearChargingProfile'> = (params, ctx) => {
  const removed = ctx.profiles.clear({
    ...(params.id !== undefined ? { id: params.id } : {}),
    ...(params.connectorId !== undefined ? { connectorId: params.connectorId } : {}),
    ...(params.chargingProfilePurpose !== undefined ? { chargingProfilePurpose: params.chargingProfilePurpose } : {}),
    ...(params.stackLevel !== undefined ? { stackLevel: params.stackLevel } : {}),
  });
  ctx.controller.applyLimits();
  return { status: removed > 0 ? 'Accepted' : 'Unknown' };
};

export const getCompositeSchedule: CallHandler<'GetCompositeSchedule'> = ({ connectorId, duration, chargingRateUnit }, ctx) => {
  const c = ctx.controller.connector(connectorId);
  if (!c || duration < 0) return { status: 'Rejected' };
  const now = ctx.clock.now();
  const tx = c.transaction;
  const schedule = ctx.profiles.compositeSchedule(
    { connectorId, maxPowerW: c.maxPowerW, ...(tx ? { transaction: { startMs: tx.startMs, ...(tx.transactionId !== undefined ? { transactionId: tx.transactionId } : {}) } } : {}) },
    now,
    duration,
    chargingRateUnit ?? 'W',
  );
  return { status: 'Accepted', connectorId, scheduleStart: schedule.startSchedule, chargingSchedule: schedule };
};
