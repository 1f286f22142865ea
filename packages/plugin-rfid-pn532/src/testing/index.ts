/**
 * `@charge-it/plugin-rfid-pn532/testing`: a byte-level PN532 emulator on the i2c-bus interface,
 * to test the driver, the reader plugin and applications built on them without hardware.
 */
export { Pn532Emulator, type EmulatedCard, type EmulatedCommand, type Pn532EmulatorOptions, type Pn532Fault } from './pn532-emulator.js';
