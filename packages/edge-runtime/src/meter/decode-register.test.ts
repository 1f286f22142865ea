import { describe, expect, it } from 'vitest';
import { decodeRegister, encodeRegister, registerCount } from './decode-register.js';

describe('decodeRegister', () => {
  it('decodes a big-endian float32 (high word first, as Eastron meters send it)', () => {
    // 230.5 = 0x43668000
    expect(decodeRegister([0x4366, 0x8000], 'float32')).toBe(230.5);
    expect(decodeRegister([0x4366, 0x8000], 'float32', 'big')).toBe(230.5);
  });

  it('decodes a word-swapped float32 (low word first)', () => {
    expect(decodeRegister([0x8000, 0x4366], 'float32', 'little')).toBe(230.5);
  });

  it('decodes uint32, int32, uint16 and int16', () => {
    expect(decodeRegister([0x0001, 0x0002], 'uint32')).toBe(65538);
    expect(decodeRegister([0x0002, 0x0001], 'uint32', 'little')).toBe(65538);
    expect(decodeRegister([0xffff, 0xfffe], 'int32')).toBe(-2);
    expect(decodeRegister([0xfffe, 0xffff], 'int32', 'little')).toBe(-2);
    expect(decodeRegister([0xfffe], 'uint16')).toBe(65534);
    expect(decodeRegister([0xfffe], 'int16')).toBe(-2);
    // wordOrder means nothing for one register
    expect(decodeRegister([0x1234], 'uint16', 'little')).toBe(0x1234);
  });

  it('round-trips through encodeRegister', () => {
    for (const order of ['big', 'little'] as const) {
      expect(decodeRegister(encodeRegister(12345.5, 'float32', order), 'float32', order)).toBe(12345.5);
      expect(decodeRegister(encodeRegister(4_000_000_000, 'uint32', order), 'uint32', order)).toBe(4_000_000_000);
      expect(decodeRegister(encodeRegister(-123456, 'int32', order), 'int32', order)).toBe(-123456);
    }
  });

  it('refuses too few words', () => {
    expect(() => decodeRegister([0x4366], 'float32')).toThrow(RangeError);
    expect(registerCount('float32')).toBe(2);
    expect(registerCount('int16')).toBe(1);
  });
});
