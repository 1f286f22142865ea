export { createChargePoint, type ChargePointHandle, type CreateChargePointOptions } from './create-charge-point.js';
export type { ChargePointEvents } from './connectors/charge-point-events.js';
export { loadEdgeConfig, EDGE_ENV_VARS, type EdgeConfig, type ConnectorConfig, type BootInfo } from './config/edge-config.js';
export {
  defineEdgePlugin,
  type EdgePlugin,
  type EdgePluginContext,
  type EdgeChargePointView,
  type ConnectorView,
  type BootState,
} from './plugins/edge-plugin.js';
export type { CardPresentation, CardOutcome } from './plugins/card-presentation.js';
export type { EdgeHooks, SessionStartedEvent, SessionStoppedEvent, MeterSampleEvent } from './plugins/edge-hooks.js';
export type {
  ChargePointStatus,
  ChargePointErrorCode,
  StopReason,
  IdTagInfo,
  IdTagStatus,
  ChargingProfile,
  BootNotificationRequest,
  ChargePointAction,
  ChargePointActions,
  MeterValue,
  RegistrationStatus,
} from './ocpp/ocpp-types.js';
/** The logger shape plugins get (`ctx.log`); pino loggers fit it. */
export type { Logger } from '@charge-it/core/kernel';
export { SUPPORTED_MEASURANDS } from './config-keys/config-key-definitions.js';
export * from './meter/index.js';
export * from './readers/index.js';
export * from './simulator/index.js';
export type { CableConfig, CableKind, AlwaysCable, ManualCable, GpioCable, ModbusCable, PowerCable, CommandCable } from './cable/cable-config.js';
export { openSysfsGpio, type GpioFactory, type GpioInput } from './cable/gpio-input.js';
export { parseCableCommand, type CableCommand } from './cable/cable-commands.js';
