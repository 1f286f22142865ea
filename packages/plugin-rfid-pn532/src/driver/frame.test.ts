import { describe, expect, it } from 'vitest';
import { ACK_FRAME, ERROR_FRAME, NACK_FRAME, checksum, decodeFrame, encodeCommand, encodeFrame } from './frame.js';
import { Pn532ErrorCode } from './pn532-error.js';

const bytes = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');

/** expect.stringMatching, typed: vitest declares its asymmetric matchers as `any`. */
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);

describe('PN532 frames (UM0701-02 §6.2.1)', () => {
  it('encodes commands with LEN/LCS and DCS as in the manual', () => {
    // GetFirmwareVersion: 00 00 FF 02 FE D4 02 2A 00
    expect(encodeCommand(0x02)).toEqual(bytes('00 00 FF 02 FE D4 02 2A 00'));
    // SAMConfiguration normal mode, timeout 0x14, IRQ: D4 14 01 14 01
    expect(encodeCommand(0x14, [0x01, 0x14, 0x01])).toEqual(bytes('00 00 FF 05 FB D4 14 01 14 01 02 00'));
    // InListPassiveTarget 1 target 106 kbps type A
    expect(encodeCommand(0x4a, [0x01, 0x00])).toEqual(bytes('00 00 FF 04 FC D4 4A 01 00 E1 00'));
  });

  it('computes DCS 0x00 when the data sum is 0 mod 256 (the npm pn532 package gets this wrong)', () => {
    // D4 + 2C = 0x100: the checksum that makes the sum 0 mod 256 is 0x00, not 0x100.
    expect(checksum([0xd4, 0x2c])).toBe(0x00);
    const frame = encodeCommand(0x2c);
    expect(frame[frame.length - 2]).toBe(0x00);
    expect(decodeFrame(frame)).toMatchObject({ kind: 'data', tfi: 0xd4, data: Buffer.from([0x2c]) });
  });

  it('round-trips normal and extended frames', () => {
    const small = encodeFrame(0xd5, [0x4b, 0x01, 0x02]);
    expect(decodeFrame(small)).toEqual({ kind: 'data', length: small.length, tfi: 0xd5, data: Buffer.from([0x4b, 0x01, 0x02]) });
    const bigData = Array.from({ length: 300 }, (_, i) => i & 0xff).slice(0, 264);
    const big = encodeFrame(0xd5, bigData);
    expect(big.subarray(0, 5)).toEqual(bytes('00 00 FF FF FF'));
    const decoded = decodeFrame(big);
    expect(decoded.kind).toBe('data');
    expect(decoded.kind === 'data' && [...decoded.data]).toEqual(bigData);
    expect(() => encodeFrame(0xd4, new Array(265).fill(0))).toThrow(RangeError);
  });

  it('recognises ACK, NACK and the error frame, with preamble zeros before and padding after', () => {
    expect(decodeFrame(Buffer.concat([ACK_FRAME, Buffer.alloc(4)]))).toEqual({ kind: 'ack', length: 6 });
    expect(decodeFrame(NACK_FRAME)).toEqual({ kind: 'nack', length: 6 });
    expect(decodeFrame(ERROR_FRAME)).toEqual({ kind: 'error', length: 8, code: undefined });
    expect(decodeFrame(Buffer.concat([Buffer.alloc(3), encodeFrame(0xd5, [0x15])]))).toMatchObject({ kind: 'data', data: Buffer.from([0x15]) });
  });

  it('checks LCS and DCS on the way in', () => {
    const good = encodeFrame(0xd5, [0x03, 0x32, 0x01, 0x06, 0x07]);
    const badLcs = Buffer.from(good);
    badLcs[4] = (badLcs[4]! + 1) & 0xff;
    const badDcs = Buffer.from(good);
    badDcs[good.length - 2] = (badDcs[good.length - 2]! ^ 0x01) & 0xff;
    expect(() => decodeFrame(badLcs)).toThrow(expect.objectContaining({ code: Pn532ErrorCode.CHECKSUM, message: matching(/length checksum/) }));
    expect(() => decodeFrame(badDcs)).toThrow(expect.objectContaining({ code: Pn532ErrorCode.CHECKSUM, message: matching(/data checksum/) }));
  });

  it('says how many bytes a cut-off frame needs, and rejects garbage', () => {
    const good = encodeFrame(0xd5, [0x4b, 0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 1, 2, 3, 4]);
    expect(decodeFrame(good.subarray(0, 8))).toEqual({ kind: 'truncated', needed: good.length });
    expect(decodeFrame(good.subarray(0, 3))).toMatchObject({ kind: 'truncated' });
    expect(() => decodeFrame(Buffer.alloc(8))).toThrow(expect.objectContaining({ code: Pn532ErrorCode.BAD_FRAME }));
    expect(() => decodeFrame(bytes('FF FF FF FF'))).toThrow(expect.objectContaining({ code: Pn532ErrorCode.BAD_FRAME }));
    expect(() => decodeFrame(bytes('00 00 FF 00 00 00 00'))).toThrow(expect.objectContaining({ code: Pn532ErrorCode.BAD_FRAME }));
    expect(() => decodeFrame(bytes('00 00 FF 03 00 D5 15 16 00'))).toThrow(expect.objectContaining({ code: Pn532ErrorCode.CHECKSUM }));
  });
});
