import type { Clock } from '../../clock.js';
import type { CsmsHooks } from '../../hooks.js';
import type { HookHandlers } from '../../kernel/hooks.js';
import type { RegistrationStatus } from '../../ocpp/v16/messages.js';
import type { SiteSettings, TariffSettings } from '../settings/settings-service.js';
import { tariffFromBreakdown } from '../tariffs/compute-cost.js';
import type { LiveState, LiveTransactionStart, LiveTransactionStop } from './live-state.js';
import { timeSourceOf } from './time-source.js';

export interface LiveHookDeps {
  clock: Clock;
  /** The registration status of a charge point's open connection (read at the handshake from the stored Boot). */
  registrationOf(chargePointId: string): RegistrationStatus | null | undefined;
  /** The tariff new sessions start with (kept current by `onSettingsChanged`). */
  tariff: { current: TariffSettings | null };
}

/**
 * The observe hook handlers that feed the live state from the handled OCPP messages (after their
 * commit). The core attaches them as taps (`HookRunner.tap`): called synchronously inside
 * `observe()`, so they must stay cheap, in-memory and non-throwing.
 */
export function liveHookHandlers(live: LiveState, deps: LiveHookDeps): HookHandlers<CsmsHooks> {
  return {
    onChargePointConnected: ({ chargePointId, at }) => live.connected(chargePointId, at, deps.registrationOf(chargePointId)),
    onChargePointDisconnected: ({ chargePointId, at }) => live.disconnected(chargePointId, at),
    onBootNotification: ({ chargePointId, request, status, receivedAt }) =>
      live.booted(
        chargePointId,
        { vendor: request.chargePointVendor ?? null, model: request.chargePointModel ?? null, firmwareVersion: request.firmwareVersion ?? null },
        status,
        receivedAt,
      ),
    onStatusNotification: ({ chargePointId, status, receivedAt }) => live.statusChanged(chargePointId, status, receivedAt),
    onTransactionStarted: ({ chargePointId, transaction }) => live.transactionStarted(chargePointId, startOf(transaction, deps)),
    onMeterValues: ({ chargePointId, transactionId, request, receivedAt }) =>
      live.meterValues(chargePointId, transactionId ?? null, request.meterValue ?? [], receivedAt),
    onTransactionStopped: ({ chargePointId, transaction }) => live.transactionStopped(chargePointId, stopOf(transaction, deps)),
    onSettingsChanged: ({ key, value }) => {
      if (key === 'site') live.siteLimitChanged((value as SiteSettings | null)?.maxGridPowerKw ?? null);
      if (key === 'tariff' && value) deps.tariff.current = value as TariffSettings;
    },
  };
}

/**
 * The transaction fields the live state needs, read from a hook payload. Accepts the stored row
 * (meterStart, startTimestamp, costBreakdown, cost) and the plain `TransactionInfo` shape
 * (meterStartWh, startedAt, costIdr), so the payload can change without the live state noticing.
 */
interface TransactionPayload {
  id: number;
  connectorId: number;
  idTag: string;
  meterStart?: number | bigint;
  meterStartWh?: number;
  startTimestamp?: Date | string;
  startedAt?: Date | string;
  startReceivedAt?: Date | string;
  stopTimestamp?: Date | string | null;
  stoppedAt?: Date | string | null;
  stopReceivedAt?: Date | string | null;
  stopReason?: string | null;
  energyWh?: number | bigint | null;
  cost?: number | bigint | null;
  costIdr?: number | null;
  costBreakdown?: Record<string, unknown> | null;
  flags?: readonly string[] | null;
}

function startOf(payload: unknown, deps: LiveHookDeps): LiveTransactionStart {
  const t = payload as TransactionPayload;
  const now = deps.clock.now();
  const startedAt = toDate(t.startTimestamp ?? t.startedAt) ?? now;
  return {
    transactionId: t.id,
    connectorId: t.connectorId,
    idTag: t.idTag,
    meterStartWh: Number(t.meterStartWh ?? t.meterStart ?? 0),
    startedAt,
    startReceivedAt: toDate(t.startReceivedAt) ?? now,
    tariff: tariffFromBreakdown(t.costBreakdown ?? null) ?? deps.tariff.current,
    timeSource: timeSourceOf(t.flags),
  };
}

function stopOf(payload: unknown, deps: LiveHookDeps): LiveTransactionStop {
  const t = payload as TransactionPayload;
  const now = deps.clock.now();
  const cost = t.cost ?? t.costIdr;
  return {
    transactionId: t.id,
    connectorId: t.connectorId,
    idTag: t.idTag,
    startedAt: toDate(t.startTimestamp ?? t.startedAt) ?? now,
    stoppedAt: toDate(t.stopTimestamp ?? t.stoppedAt) ?? now,
    stopReceivedAt: toDate(t.stopReceivedAt) ?? now,
    energyWh: Number(t.energyWh ?? 0),
    costIdr: cost == null ? null : Number(cost),
    stopReason: t.stopReason ?? null,
  };
}

function toDate(v: Date | string | null | undefined): Date | null {
  if (v == null) return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isFinite(d.getTime()) ? d : null;
}
