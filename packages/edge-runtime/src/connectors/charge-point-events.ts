import type { MeterReading } from '../meter/meter-driver.js';
import type { ChargePointStatus, StopReason } from '../ocpp/ocpp-types.js';
import type { BootState, PluginHealth } from '../plugins/edge-plugin.js';

/**
 * Every event of a charge point, in one map (the handle's `on(event, fn)` and the services that
 * emit them share it; each event is emitted once, on the handle's emitter).
 */
export interface ChargePointEvents {
  /** The boot state changed. */
  boot: [state: BootState];
  online: [];
  offline: [];
  /** A connector's status changed (also while offline; sent to the CS when online). */
  status: [connectorId: number, status: ChargePointStatus];
  transactionStarted: [event: { connectorId: number; idTag: string; txLocal: string; meterStartWh: number }];
  transactionStopped: [event: { connectorId: number; txLocal: string; meterStartWh: number; meterStopWh: number; reason: StopReason }];
  /** A meter reading taken for a connector, with the power limit applied to it. */
  sample: [event: { connectorId: number; reading: MeterReading; limitW: number }];
  /** A CP→CS request was sent. */
  message: [action: string];
  /** A plugin's hardware went failing or recovered (reportHealth). */
  health: [plugin: string, health: PluginHealth];
  /** The outbox delivered / dropped a message. */
  delivered: [event: { action: string; seq: number; transactionId: number | undefined }];
  dropped: [event: { action: string; seq: number }];
  /** The CS asked for a reset: the host should stop this handle and create a new one. */
  reset: [event: { type: 'Hard' | 'Soft' }];
  /** Something failed outside a request (never thrown at the host). */
  error: [err: unknown];
}
