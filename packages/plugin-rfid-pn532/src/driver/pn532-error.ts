/**
 * Every failure of the PN532 driver is a `Pn532Error` with one of these codes, a message that says
 * what went wrong (and, where the user can do something, what to do), and the I/O error as `cause`.
 */
export const Pn532ErrorCode = {
  /** The chip did not set the ready bit of its I2C status byte in time (ACK or response). */
  TIMEOUT: 'PN532_ERR_TIMEOUT',
  /** The chip answered a command with a NACK frame instead of an ACK. */
  NACK: 'PN532_ERR_NACK',
  /** A frame from the chip had a wrong length (LCS) or data (DCS) checksum, even after asking again. */
  CHECKSUM: 'PN532_ERR_CHECKSUM',
  /** The chip sent its error frame (TFI 0x7F): it found an application-level (syntax) error. */
  ERROR_FRAME: 'PN532_ERR_ERROR_FRAME',
  /** A frame that does not fit the protocol (no start code, wrong TFI or response code, bad UID length). */
  BAD_FRAME: 'PN532_ERR_BAD_FRAME',
  /** Nothing acknowledged the I2C address (EREMOTEIO / ENXIO): wiring, power, the module's I2C switch. */
  NO_DEVICE: 'PN532_ERR_NO_DEVICE',
  /** Any other I/O error of the I2C bus. */
  BUS: 'PN532_ERR_BUS',
  /** The bus device (/dev/i2c-N) is missing or not accessible, or the i2c-bus addon cannot load. */
  I2C_UNAVAILABLE: 'PN532_ERR_I2C_UNAVAILABLE',
  /** A bad option of the reader plugin (what is wrong is in the message). */
  CONFIG_INVALID: 'PN532_ERR_CONFIG_INVALID',
  /** The driver was closed. */
  CLOSED: 'PN532_ERR_CLOSED',
} as const;
export type Pn532ErrorCode = (typeof Pn532ErrorCode)[keyof typeof Pn532ErrorCode];

export class Pn532Error extends Error {
  readonly code: Pn532ErrorCode;
  /** Extra facts: the command, the error frame's code, the I2C errno name, ... */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: Pn532ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'Pn532Error';
    this.code = code;
    this.details = options.details ?? {};
  }
}

export function isPn532Error(err: unknown, code?: Pn532ErrorCode): err is Pn532Error {
  return err instanceof Pn532Error && (code === undefined || err.code === code);
}

/** Linux errno names that mean "no device answered at this address". */
const NO_DEVICE_ERRNO = new Set(['EREMOTEIO', 'ENXIO']);

/** The errno name of an I/O error (`code` as Node and i2c-bus set it), if any. */
export function errnoName(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Maps an error thrown by the I2C bus to a Pn532Error. i2c-bus opens /dev/i2c-N at the first
 * transfer, so a missing device file, a permission problem or an address claimed by a kernel
 * driver show up here too; they become I2C_UNAVAILABLE with what to do.
 */
export function busError(err: unknown, address: number, what: string, device = 'the I2C bus device'): Pn532Error {
  if (err instanceof Pn532Error) return err;
  const errno = errnoName(err);
  const hex = `0x${address.toString(16).padStart(2, '0')}`;
  if (errno !== undefined && NO_DEVICE_ERRNO.has(errno)) {
    return new Pn532Error(
      Pn532ErrorCode.NO_DEVICE,
      `no answer from a PN532 at I2C address ${hex} (${errno}) during ${what}: check the wiring (SDA to GPIO2 pin 3, SCL to GPIO3 pin 5, 3V3, GND) and that the module's switches select I2C`,
      { cause: err, details: { errno, address } },
    );
  }
  const access = explainAccessError(err, device, address);
  if (access) return access;
  return new Pn532Error(Pn532ErrorCode.BUS, `I2C ${what} at ${hex} failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
    details: { errno, address },
  });
}

/** ENOENT, EACCES/EPERM, EBUSY when opening or addressing /dev/i2c-N: what the user has to do. */
export function explainAccessError(err: unknown, device: string, address?: number): Pn532Error | undefined {
  const errno = errnoName(err);
  const details = { errno, device, ...(address === undefined ? {} : { address }) };
  if (errno === 'ENOENT') {
    return new Pn532Error(
      Pn532ErrorCode.I2C_UNAVAILABLE,
      `${device} does not exist: I2C is not enabled. On a Raspberry Pi run "sudo raspi-config" → Interface Options → I2C → Yes (or add "dtparam=i2c_arm=on" to /boot/firmware/config.txt) and reboot`,
      { cause: err, details },
    );
  }
  if (errno === 'EACCES' || errno === 'EPERM') {
    return new Pn532Error(
      Pn532ErrorCode.I2C_UNAVAILABLE,
      `permission denied opening ${device}: add the user that runs charge-it-edge to the i2c group ("sudo usermod -aG i2c $USER", then log in again; the systemd unit has SupplementaryGroups=i2c)`,
      { cause: err, details },
    );
  }
  if (errno === 'EBUSY') {
    const hex = address === undefined ? 'the address' : `address 0x${address.toString(16).padStart(2, '0')}`;
    return new Pn532Error(
      Pn532ErrorCode.I2C_UNAVAILABLE,
      `${hex} on ${device} is claimed by a kernel driver (e.g. pn533_i2c from a device-tree overlay): remove that overlay or unload the driver ("sudo rmmod pn533_i2c")`,
      { cause: err, details },
    );
  }
  return undefined;
}
