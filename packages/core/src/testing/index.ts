/** `@charge-it/core/testing`: a real CSMS on port 0, a typed fake charge point, and a hook recorder. */
export { createTestCsms, type TestCsms, type TestCsmsOptions } from './create-test-csms.js';
export { FakeChargePoint, type FakeChargePointOptions } from './fake-charge-point.js';
export { EventRecorder, type RecordedEvent } from './event-recorder.js';
export { waitForLive, type WaitForLiveOptions } from './wait-for-live.js';
export { createRecordingLogger, type RecordingLogger, type RecordedLog, type RecordedLogLevel } from './recording-logger.js';
export { deferred, type Deferred } from './deferred.js';
export { testDatabases, MARIADB_URL_ENV, type TestDatabase, type TestDatabaseKind } from './test-databases.js';
