/**
 * @charge-it/plugin-rfid-pn532: a PN532 NFC reader on the Raspberry Pi's I2C bus for tap-to-charge
 * on the edge runtime. The driver (written from NXP's UM0701-02) is exported for other uses too.
 */
export * from './driver/index.js';
export { pn532Reader, type Pn532ReaderOptions, type Pn532ReaderPlugin, type Pn532ReaderHealth, type Pn532CardEvent } from './reader/pn532-reader.js';
export { formatIdTag, resolveIdTagFormat, type IdTagFormat, type IdTagFormatOption } from './reader/format-id-tag.js';
export { openI2cBus, importI2cBus, type I2cBusLoader, type I2cBusModule } from './reader/open-i2c-bus.js';

export const packageInfo = {
  name: '@charge-it/plugin-rfid-pn532',
  /** The host the plugin runs in: 'csms' (@charge-it/core) or 'edge' (@charge-it/edge-runtime). */
  host: 'edge',
  status: 'ready',
} as const;

/** edge.json `plugins` entries without "export" load the default export: the reader factory. */
export { pn532Reader as default } from './reader/pn532-reader.js';
