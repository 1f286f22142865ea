export { Pn532, PN532_I2C_ADDRESS, commandName, parseTypeATarget, type CommandOptions, type FirmwareVersion, type Pn532Card, type Pn532Options } from './pn532.js';
export { Pn532Error, Pn532ErrorCode, isPn532Error } from './pn532-error.js';
export {
  ACK_FRAME,
  NACK_FRAME,
  ERROR_FRAME,
  Command,
  TFI_HOST_TO_PN532,
  TFI_PN532_TO_HOST,
  checksum,
  decodeFrame,
  encodeCommand,
  encodeFrame,
  type DecodedFrame,
} from './frame.js';
export type { I2cBusLike } from './i2c-bus-like.js';
