import type { HookKinds, ObserveHookSpec } from '@charge-it/core/kernel';
import type { MeterReading } from '../meter/meter-driver.js';
import type { StopReason } from '../ocpp/ocpp-types.js';
import type { CardPresentation } from './card-presentation.js';

export interface SessionStartedEvent {
  connectorId: number;
  idTag: string;
  /** Local id of the transaction (the CS's transactionId may come later). */
  txLocal: string;
  meterStartWh: number;
  timestamp: string;
}

export interface SessionStoppedEvent {
  connectorId: number;
  idTag: string;
  txLocal: string;
  transactionId?: number;
  meterStartWh: number;
  meterStopWh: number;
  reason: StopReason;
  timestamp: string;
}

export interface MeterSampleEvent {
  connectorId: number;
  reading: MeterReading;
  txLocal?: string;
  /** Effective charging limit applied to the connector (W). */
  limitW?: number;
  timestamp: string;
}

/** The edge runtime's hooks; all observe (plugins are told, they never decide OCPP behaviour). */
export type EdgeHooks = {
  onCardPresented: ObserveHookSpec<{ card: CardPresentation }>;
  onSessionStarted: ObserveHookSpec<SessionStartedEvent>;
  onSessionStopped: ObserveHookSpec<SessionStoppedEvent>;
  onMeterSample: ObserveHookSpec<MeterSampleEvent>;
  onConnectionChanged: ObserveHookSpec<{ online: boolean; boot: string }>;
};

export const EDGE_HOOK_KINDS: HookKinds<EdgeHooks> = {
  onCardPresented: 'observe',
  onSessionStarted: 'observe',
  onSessionStopped: 'observe',
  onMeterSample: 'observe',
  onConnectionChanged: 'observe',
};
