/**
 * PN532 host-controller frames (NXP UM0701-02 §6.2.1):
 *
 *   normal information frame  00 | 00 FF | LEN | LCS | TFI PD0..PDn | DCS | 00
 *   extended information frame 00 | 00 FF | FF FF | LENM LENL | LCS | TFI PD0..PDn | DCS | 00
 *   ACK  00 00 FF 00 FF 00      NACK  00 00 FF FF 00 00      error frame  00 00 FF 01 FF 7F 81 00
 *
 * LEN counts TFI and the data bytes; LEN + LCS ≡ 0 (mod 256) (LENM + LENL + LCS for extended
 * frames); TFI + PD0 + ... + PDn + DCS ≡ 0 (mod 256). TFI is D4 from the host, D5 from the PN532;
 * PD0 is the command code (the response code is the command code + 1).
 */
import { Pn532Error, Pn532ErrorCode } from './pn532-error.js';

export const TFI_HOST_TO_PN532 = 0xd4;
export const TFI_PN532_TO_HOST = 0xd5;
/** TFI of the error frame (application-level error). */
export const TFI_ERROR = 0x7f;

export const ACK_FRAME: Readonly<Buffer> = Buffer.from([0x00, 0x00, 0xff, 0x00, 0xff, 0x00]);
export const NACK_FRAME: Readonly<Buffer> = Buffer.from([0x00, 0x00, 0xff, 0xff, 0x00, 0x00]);
export const ERROR_FRAME: Readonly<Buffer> = Buffer.from([0x00, 0x00, 0xff, 0x01, 0xff, TFI_ERROR, 0x81, 0x00]);

/** Largest data field (TFI + PD0..PDn) the PN532 firmware handles: 265 bytes. */
export const MAX_FRAME_DATA = 265;

export const Command = {
  GetFirmwareVersion: 0x02,
  GetGeneralStatus: 0x04,
  SAMConfiguration: 0x14,
  RFConfiguration: 0x32,
  InListPassiveTarget: 0x4a,
  InRelease: 0x52,
} as const;

/** Low byte of the two's complement of the sum: the value that makes `sum + checksum ≡ 0 (mod 256)`. */
export function checksum(bytes: Iterable<number>): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return (0x100 - sum) & 0xff;
}

/**
 * Encodes an information frame with the given TFI and data (PD0..PDn). The normal frame is used
 * up to 254 data bytes (LEN ≤ 255), the extended frame above.
 */
export function encodeFrame(tfi: number, data: ArrayLike<number>): Buffer {
  const body = Buffer.from([tfi, ...Array.from(data)]);
  if (body.length > MAX_FRAME_DATA) throw new RangeError(`frame data of ${body.length} bytes is longer than the PN532's ${MAX_FRAME_DATA}`);
  const dcs = checksum(body);
  if (body.length <= 0xff) {
    return Buffer.concat([Buffer.from([0x00, 0x00, 0xff, body.length, checksum([body.length])]), body, Buffer.from([dcs, 0x00])]);
  }
  const lenM = body.length >> 8;
  const lenL = body.length & 0xff;
  return Buffer.concat([Buffer.from([0x00, 0x00, 0xff, 0xff, 0xff, lenM, lenL, checksum([lenM, lenL])]), body, Buffer.from([dcs, 0x00])]);
}

/** A host → PN532 command frame: D4, the command code, its parameters. */
export function encodeCommand(command: number, params: ArrayLike<number> = []): Buffer {
  return encodeFrame(TFI_HOST_TO_PN532, [command, ...Array.from(params)]);
}

export type DecodedFrame =
  | { kind: 'ack'; length: number }
  | { kind: 'nack'; length: number }
  /** The PN532's error frame; `code` is the byte after 0x7F when the chip sent one. */
  | { kind: 'error'; length: number; code: number | undefined }
  /** An information frame: `tfi` and the bytes after it (PD0..PDn). */
  | { kind: 'data'; length: number; tfi: number; data: Buffer }
  /** The buffer ends before the frame does; read again with at least `needed` bytes. */
  | { kind: 'truncated'; needed: number };

/**
 * Decodes the first frame in `buf` (bytes after the I2C status byte). Leading zero bytes are
 * preamble; bytes after the frame are ignored. `length` is where the frame ends in `buf`.
 * Throws Pn532Error BAD_FRAME (no start code) or CHECKSUM (LCS or DCS wrong).
 */
export function decodeFrame(buf: Uint8Array): DecodedFrame {
  let i = 0;
  while (i < buf.length && buf[i] === 0x00) i++;
  // buf[i] is the first non-zero byte: it must be the FF of the start code, after at least one 00.
  if (i >= buf.length || i === 0 || buf[i] !== 0xff) {
    throw new Pn532Error(Pn532ErrorCode.BAD_FRAME, `no PN532 start code (00 FF) in ${hex(buf.subarray(0, 16))}`, { details: { bytes: hex(buf) } });
  }
  const at = i + 1; // first byte after 00 FF
  if (at + 2 > buf.length) return { kind: 'truncated', needed: at + 3 };
  const len = buf[at] as number;
  const lcs = buf[at + 1] as number;
  if (len === 0x00 && lcs === 0xff) return { kind: 'ack', length: at + 3 };
  if (len === 0xff && lcs === 0x00) return { kind: 'nack', length: at + 3 };

  let dataStart: number;
  let dataLength: number;
  if (len === 0xff && lcs === 0xff) {
    if (at + 5 > buf.length) return { kind: 'truncated', needed: at + 8 };
    const lenM = buf[at + 2] as number;
    const lenL = buf[at + 3] as number;
    const elcs = buf[at + 4] as number;
    if (((lenM + lenL + elcs) & 0xff) !== 0) {
      throw new Pn532Error(Pn532ErrorCode.CHECKSUM, `extended frame length checksum is wrong (LENM ${byte(lenM)} LENL ${byte(lenL)} LCS ${byte(elcs)})`, {
        details: { bytes: hex(buf) },
      });
    }
    dataLength = lenM * 256 + lenL;
    dataStart = at + 5;
  } else {
    if (((len + lcs) & 0xff) !== 0) {
      throw new Pn532Error(Pn532ErrorCode.CHECKSUM, `frame length checksum is wrong (LEN ${byte(len)} LCS ${byte(lcs)})`, { details: { bytes: hex(buf) } });
    }
    dataLength = len;
    dataStart = at + 2;
  }
  if (dataLength === 0) throw new Pn532Error(Pn532ErrorCode.BAD_FRAME, 'information frame without TFI (LEN 0)', { details: { bytes: hex(buf) } });
  const end = dataStart + dataLength + 2; // DCS and postamble
  if (end > buf.length) return { kind: 'truncated', needed: end };
  const body = buf.subarray(dataStart, dataStart + dataLength);
  const dcs = buf[dataStart + dataLength] as number;
  if (checksum(body) !== dcs) {
    throw new Pn532Error(Pn532ErrorCode.CHECKSUM, `frame data checksum is wrong (DCS ${byte(dcs)}, expected ${byte(checksum(body))})`, {
      details: { bytes: hex(buf.subarray(0, end)) },
    });
  }
  const tfi = body[0] as number;
  if (tfi === TFI_ERROR) return { kind: 'error', length: end, code: body[1] };
  return { kind: 'data', length: end, tfi, data: Buffer.from(body.subarray(1)) };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').replace(/(..)(?=.)/g, '$1 ').toUpperCase();
}

function byte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0').toUpperCase()}`;
}
