/**
 * @charge-it/plugin-rfid-pn532: a PN532 NFC reader on the Raspberry Pi's I2C bus for tap-to-charge
 * on the edge runtime. The driver (written from NXP's UM0701-02) is exported for other uses too.
 */
export * from './driver/index.js';

export const packageInfo = {
  name: '@charge-it/plugin-rfid-pn532',
  /** The host the plugin runs in: 'csms' (@charge-it/core) or 'edge' (@charge-it/edge-runtime). */
  host: 'edge',
  status: 'ready',
} as const;
