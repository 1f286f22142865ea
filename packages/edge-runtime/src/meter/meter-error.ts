/**
 * Codes of the errors meter drivers throw on purpose. The runtime logs them and retries at the
 * next sample; they never stop the charge point. (Configuration mistakes are `CsmsError`
 * CONFIG_INVALID from the kernel, thrown when the driver is created.)
 */
export const MeterErrorCode = {
  /** The meter could not be reached (TCP connect refused or timed out, serial port missing). */
  UNREACHABLE: 'EDGE_ERR_METER_UNREACHABLE',
  /** A read failed: timeout, Modbus exception, implausible value. */
  READ_FAILED: 'EDGE_ERR_METER_READ_FAILED',
} as const;

export type MeterErrorCode = (typeof MeterErrorCode)[keyof typeof MeterErrorCode];

export class MeterError extends Error {
  readonly code: MeterErrorCode;

  constructor(code: MeterErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeterError';
    this.code = code;
  }
}

export function isMeterError(err: unknown, code?: MeterErrorCode): err is MeterError {
  return err instanceof MeterError && (code === undefined || err.code === code);
}
