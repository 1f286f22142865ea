/**
 * @charge-it/plugin-rfid-pn532: PN532 NFC reader over I2C (i2c-bus) for tap-to-charge on the edge runtime.
 *
 * Not built yet: this package reserves its name and place in the monorepo. Its plugin factory
 * arrives with its own issue; until then the package exports only what it is.
 */
export const packageInfo = {
  name: '@charge-it/plugin-rfid-pn532',
  /** The host the plugin runs in: 'csms' (@charge-it/core) or 'edge' (@charge-it/edge-runtime). */
  host: 'edge',
  status: 'planned',
} as const;
