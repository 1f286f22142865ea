/**
 * The part of i2c-bus's promisified bus (`(await import('i2c-bus')).openPromisified(1)`) the
 * driver uses: plain I2C reads and writes of whole transfers, and close. The emulator in
 * `@charge-it/plugin-rfid-pn532/testing` implements the same interface.
 */
export interface I2cBusLike {
  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  close(): Promise<void>;
}
