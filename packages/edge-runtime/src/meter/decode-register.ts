import type { ModbusDataType, ModbusWordOrder } from './modbus-register-map.js';

/** Number of 16-bit registers a value of this type occupies. */
export function registerCount(type: ModbusDataType): number {
  return type === 'uint16' || type === 'int16' ? 1 : 2;
}

/**
 * Decodes one value from 16-bit register words (as modbus-serial returns them in `data`).
 * Bytes within a word are big-endian (Modbus); `wordOrder` only swaps the two words of a 32-bit value.
 */
export function decodeRegister(words: readonly number[], type: ModbusDataType, wordOrder: ModbusWordOrder = 'big'): number {
  const count = registerCount(type);
  if (words.length < count) {
    throw new RangeError(`a ${type} needs ${count} registers, got ${words.length}`);
  }
  const ordered = count === 2 && wordOrder === 'little' ? [words[1]!, words[0]!] : words.slice(0, count);
  const buf = Buffer.alloc(count * 2);
  ordered.forEach((w, i) => buf.writeUInt16BE(w & 0xffff, i * 2));
  switch (type) {
    case 'float32':
      return buf.readFloatBE(0);
    case 'uint32':
      return buf.readUInt32BE(0);
    case 'int32':
      return buf.readInt32BE(0);
    case 'uint16':
      return buf.readUInt16BE(0);
    case 'int16':
      return buf.readInt16BE(0);
  }
}

/** The inverse of decodeRegister, for tests and simulated servers. */
export function encodeRegister(value: number, type: ModbusDataType, wordOrder: ModbusWordOrder = 'big'): number[] {
  const count = registerCount(type);
  const buf = Buffer.alloc(count * 2);
  switch (type) {
    case 'float32':
      buf.writeFloatBE(value, 0);
      break;
    case 'uint32':
      buf.writeUInt32BE(value, 0);
      break;
    case 'int32':
      buf.writeInt32BE(value, 0);
      break;
    case 'uint16':
      buf.writeUInt16BE(value, 0);
      break;
    case 'int16':
      buf.writeInt16BE(value, 0);
      break;
  }
  const words = Array.from({ length: count }, (_, i) => buf.readUInt16BE(i * 2));
  return count === 2 && wordOrder === 'little' ? [words[1]!, words[0]!] : words;
}
