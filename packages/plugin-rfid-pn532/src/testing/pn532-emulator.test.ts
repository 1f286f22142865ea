import { describe, expect, it } from 'vitest';
import { Pn532Emulator } from './pn532-emulator.js';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
const read = async (chip: Pn532Emulator, n: number, address = 0x24) => (await chip.i2cRead(address, n, Buffer.alloc(n))).buffer.toString('hex');

describe('Pn532Emulator (raw bytes, independent of the driver)', () => {
  it('answers GetFirmwareVersion from the manual with status byte, ACK and response', async () => {
    const chip = new Pn532Emulator({ busyPolls: 1 });
    await chip.i2cWrite(0x24, 9, hex('00 00 FF 02 FE D4 02 2A 00'));
    expect(await read(chip, 1)).toBe('00'); // busy
    expect(await read(chip, 7)).toBe('010000ff00ff00'); // ready + ACK
    expect(await read(chip, 1)).toBe('00');
    expect(await read(chip, 4)).toBe('010000ff'); // a short read does not consume the frame
    expect(await read(chip, 14)).toBe('010000ff06fad50332010607e800');
    expect(await read(chip, 1)).toBe('00'); // nothing more
    expect(chip.commands).toEqual([{ code: 0x02, params: [] }]);
  });

  it('ignores frames with a wrong LCS, DCS, TFI or postamble', async () => {
    const chip = new Pn532Emulator();
    for (const frame of ['00 00 FF 02 FD D4 02 2A 00', '00 00 FF 02 FE D4 02 2B 00', '00 00 FF 02 FE D5 02 29 00', '00 00 FF 02 FE D4 02 2A 01']) {
      await chip.i2cWrite(0x24, 9, hex(frame));
      expect(await read(chip, 1)).toBe('00');
    }
    expect(chip.rejectedFrames).toHaveLength(4);
    expect(chip.commands).toEqual([]);
  });

  it('retransmits the last response on a NACK from the host; an ACK from the host aborts', async () => {
    const chip = new Pn532Emulator();
    await chip.i2cWrite(0x24, 9, hex('00 00 FF 02 FE D4 02 2A 00'));
    await read(chip, 7);
    const first = await read(chip, 14);
    await chip.i2cWrite(0x24, 6, hex('00 00 FF FF 00 00'));
    expect(await read(chip, 14)).toBe(first);
    await chip.i2cWrite(0x24, 9, hex('00 00 FF 02 FE D4 02 2A 00'));
    await chip.i2cWrite(0x24, 6, hex('00 00 FF 00 FF 00'));
    expect(await read(chip, 7)).toBe('00'.repeat(7));
    expect([chip.hostNacks, chip.hostAcks]).toEqual([1, 1]);
  });

  it('EREMOTEIO for another address, while disconnected, and once when waking from sleep', async () => {
    const chip = new Pn532Emulator({ asleep: true });
    await expect(read(chip, 1, 0x48)).rejects.toMatchObject({ code: 'EREMOTEIO', errno: 121 });
    await expect(read(chip, 1)).rejects.toMatchObject({ code: 'EREMOTEIO' });
    expect(await read(chip, 1)).toBe('00');
    chip.disconnect();
    await expect(chip.i2cWrite(0x24, 6, hex('00 00 FF 00 FF 00'))).rejects.toMatchObject({ code: 'EREMOTEIO' });
    await chip.close();
    await expect(read(chip, 1)).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('rejects cards whose UID is not 4, 7 or 10 bytes', () => {
    expect(() => new Pn532Emulator().placeCard('0102030405')).toThrow(/4, 7 or 10/);
  });
});
