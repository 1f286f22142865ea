/** The SPKLU app's programmatic surface (used by its tests and by anyone assembling a similar system). */
export { createSpkluApp, seedIdTags, simulatorCards, SIMULATOR_ID_TAG, SPKLU_DEFAULT_DATABASE_URL, SPKLU_DEMO_CARD_UID, SPKLU_DEMO_ID_TAG, type SpkluAppOptions } from './app.js';
export { resolveSpkluSettings, productionProblems, DEMO_ADMIN, DEMO_PASSWORDS, SPKLU_ENV, DASHBOARD_ENV, SPKLU_KNOWN_ENV, type SpkluSettings, type SpkluMode } from './spklu-config.js';
export { startDemo, DEMO_PN532_IDENTITY, type DemoOptions, type RunningDemo } from './demo/start-demo.js';
export { startPn532ChargePoint, type Pn532ChargePoint, type Pn532ChargePointOptions } from './demo/pn532-charge-point.js';
