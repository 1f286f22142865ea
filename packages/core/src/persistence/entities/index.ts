import { AdminUserSchema } from './admin-user.js';
import { ApiKeySchema } from './api-key.js';
import { AuditLogSchema } from './audit-log.js';
import { ChargePointSchema } from './charge-point.js';
import { ChargingProfileSchema } from './charging-profile.js';
import { ChargingProfileTemplateSchema } from './charging-profile-template.js';
import { ConnectorSchema } from './connector.js';
import { DeviceEventSchema } from './device-event.js';
import { IdTagSchema } from './id-tag.js';
import { LocalAuthListSchema } from './local-auth-list.js';
import { MeterSampleInboxSchema, MeterSampleSchema } from './meter-sample.js';
import { OrphanMessageSchema } from './orphan-message.js';
import { ReservationSchema } from './reservation.js';
import { SettingSchema } from './setting.js';
import { StatusEventSchema } from './status-event.js';
import { TransactionSchema } from './transaction.js';

export { AdminUserSchema, type AdminUser, type AdminRole } from './admin-user.js';
export { ApiKeySchema, type ApiKey, type ApiRole } from './api-key.js';
export { AuditLogSchema, type AuditLog } from './audit-log.js';
export { ChargePointSchema, type ChargePoint, type RegistrationStatus } from './charge-point.js';
export { ChargingProfileSchema, type ChargingProfile, type ChargingScheduleJson } from './charging-profile.js';
export { ChargingProfileTemplateSchema, type ChargingProfileTemplate } from './charging-profile-template.js';
export { ConnectorSchema, type Connector } from './connector.js';
export { DeviceEventSchema, type DeviceEvent } from './device-event.js';
export { IdTagSchema, type IdTag, type IdTagStatus } from './id-tag.js';
export { LocalAuthListSchema, type LocalAuthList } from './local-auth-list.js';
export { MeterSampleInboxSchema, MeterSampleSchema, type MeterSample, type MeterSampleInbox } from './meter-sample.js';
export { OrphanMessageSchema, type OrphanMessage, type OrphanAction } from './orphan-message.js';
export { ReservationSchema, type Reservation } from './reservation.js';
export { SettingSchema, type Setting } from './setting.js';
export { StatusEventSchema, type StatusEvent } from './status-event.js';
export { TransactionSchema, type Transaction, type TransactionStatus } from './transaction.js';

/** Every entity of the core, in dependency order (referenced before referencing). */
export const coreEntities = [
  ChargePointSchema,
  ConnectorSchema,
  StatusEventSchema,
  DeviceEventSchema,
  IdTagSchema,
  TransactionSchema,
  MeterSampleSchema,
  MeterSampleInboxSchema,
  OrphanMessageSchema,
  ReservationSchema,
  ChargingProfileSchema,
  ChargingProfileTemplateSchema,
  LocalAuthListSchema,
  SettingSchema,
  AdminUserSchema,
  AuditLogSchema,
  ApiKeySchema,
] as const;
