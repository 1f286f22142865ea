import { definePlugin, type BasePluginContext, type PluginDefinition } from '@charge-it/core/kernel';
import type { CableKind } from '../cable/cable-config.js';
import type { ChargePointStatus, ChargePointErrorCode } from '../ocpp/ocpp-types.js';
import type { CardOutcome, CardPresentation } from './card-presentation.js';
import type { EdgeHooks } from './edge-hooks.js';

export type BootState = 'Accepted' | 'Pending' | 'Rejected' | 'NotBooted';

export interface ConnectorView {
  readonly connectorId: number;
  readonly status: ChargePointStatus;
  readonly errorCode: ChargePointErrorCode;
  readonly plugged: boolean;
  /** How the EV is detected on this connector (edge.json `connectors[].cable`). */
  readonly cable: CableKind;
  readonly transaction?: {
    readonly txLocal: string;
    readonly transactionId?: number;
    readonly idTag: string;
    readonly startedAt: string;
    readonly meterStartWh: number;
  };
  readonly reservation?: { readonly reservationId: number; readonly idTag: string; readonly expiryDate: string };
  /** Effective charging limit (W) from charging profiles and the rating. */
  readonly limitW: number;
}

/** Read-only view of the charge point for plugins, the CLI and tests. */
export interface EdgeChargePointView {
  readonly identity: string;
  readonly boot: BootState;
  readonly online: boolean;
  readonly connectors: readonly ConnectorView[];
  /** Transaction messages waiting in the durable outbox. */
  readonly queuedMessages: number;
  /** Health of plugin hardware (card readers, ...) by plugin name, as last reported with `reportHealth`. */
  readonly health: Readonly<Record<string, PluginHealth>>;
}

/**
 * What a plugin tells the runtime about its hardware. While a report is not ok, connector 0's
 * StatusNotification carries its `errorCode` (default OtherError), `info` and `vendorErrorCode`
 * (status unchanged: a failed reader does not stop remote starts or running sessions); when all
 * reports are ok again, connector 0 is reported with NoError.
 */
export interface PluginHealthReport {
  ok: boolean;
  /** OCPP errorCode while failing, e.g. 'ReaderFailure'. Default 'OtherError'. */
  errorCode?: ChargePointErrorCode;
  /** Short text for the central system (StatusNotification.info, cut to 50 characters). */
  info?: string;
  /** Vendor code (StatusNotification.vendorErrorCode, cut to 50 characters). */
  vendorErrorCode?: string;
  /** Anything else worth showing (firmware version, since when, the error message). */
  details?: Readonly<Record<string, string | number | boolean | null>>;
}

export interface PluginHealth extends PluginHealthReport {
  /** When the plugin last changed between ok and failing (ISO). */
  readonly since: string;
}

export interface EdgePluginContext extends BasePluginContext {
  readonly identity: string;
  /** A reader calls this when a card is tapped; the runtime decides start/stop/refuse. */
  presentCard(card: CardPresentation): Promise<CardOutcome>;
  /** Read-only view of connectors (status, transaction); read it when needed, it is live. */
  readonly chargePoint: EdgeChargePointView;
  /** Reports the health of this plugin's hardware: shown in `chargePoint.health`, told to the central system on connector 0. */
  reportHealth(report: PluginHealthReport): void;
}

export type EdgePlugin = PluginDefinition<EdgePluginContext, EdgeHooks>;

/** Checks an edge plugin (name, hooks, setup) and returns it frozen. */
export function defineEdgePlugin<P extends EdgePlugin>(plugin: P): P {
  return definePlugin(plugin) as P;
}

export type { CardOutcome, CardPresentation } from './card-presentation.js';
