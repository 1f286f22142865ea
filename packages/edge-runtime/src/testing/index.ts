/**
 * `@charge-it/edge-runtime/testing`: what an edge plugin's tests need, from the public package
 * only. `createReaderTestContext()` stands in for the plugin context in a card reader's unit
 * tests; `startFakeCentralSystem()` is a small OCPP 1.6J central system on 127.0.0.1 for tests
 * that run a real charge point (`createChargePoint`) with the plugin.
 */
export { createReaderTestContext, type ReaderTestContext, type ReaderTestContextOptions } from '../readers/reader-test-context.js';
export {
  startFakeCentralSystem,
  type FakeCentralSystem,
  type FakeCentralSystemOptions,
  type FakeCall,
  type FakeResponder,
  type FakeTransaction,
} from './fake-central-system.js';
export type { ChargePointAction, ChargePointActions, IdTagInfo, IdTagStatus, MeterValue, RegistrationStatus, StopReason, ChargePointStatus } from '../ocpp/ocpp-types.js';
export type { Logger } from '@charge-it/core/kernel';
