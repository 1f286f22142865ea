import { describe, expect, it } from 'vitest';
import { Pn532Emulator } from '../testing/pn532-emulator.js';
import { Pn532 } from './pn532.js';
import { Pn532ErrorCode, isPn532Error } from './pn532-error.js';

/** A driver on an emulator, polling the status byte without pauses. */
function setup(emulatorOptions: ConstructorParameters<typeof Pn532Emulator>[0] = {}, driverOptions: ConstructorParameters<typeof Pn532>[1] = {}) {
  const chip = new Pn532Emulator(emulatorOptions);
  const pn532 = new Pn532(chip, { statusPollMs: 0, ...driverOptions });
  return { chip, pn532 };
}

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err as Error & { code: string; details: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}

describe('Pn532 driver against the emulator', () => {
  it('init: wakes a sleeping chip, aborts, configures SAM and MaxRetries, reads the firmware', async () => {
    const { chip, pn532 } = setup({ asleep: true, busyPolls: 3 });
    const fw = await pn532.init();
    expect(fw).toEqual({ ic: 0x32, version: 1, revision: 6, support: 7, text: '1.6' });
    expect(chip.hostAcks).toBe(1);
    expect(chip.samConfigured).toBe(true);
    expect(chip.maxRetries).toEqual([0xff, 0x01, 0x02]);
    expect(chip.commands).toEqual([
      { code: 0x14, params: [0x01, 0x14, 0x01] },
      { code: 0x02, params: [] },
      { code: 0x32, params: [0x05, 0xff, 0x01, 0x02] },
    ]);
    expect(chip.rejectedFrames).toEqual([]);
    // The status byte was polled through the busy phases: 3 before each ACK and each response.
    expect(chip.busyReads).toBeGreaterThanOrEqual(3 * 6);
  });

  it('reads 4-, 7- and 10-byte UIDs with ATQA and SAK, and null without a card', async () => {
    const { chip, pn532 } = setup();
    await pn532.init();
    expect(await pn532.readPassiveTarget()).toBeNull();
    chip.placeCard('04A23B1C');
    expect(await pn532.readPassiveTarget()).toEqual({ target: 1, uid: Buffer.from('04A23B1C', 'hex'), atqa: 0x0004, sak: 0x08 });
    chip.placeCard({ uid: '04:11:22:33:44:55:66' });
    expect(await pn532.readPassiveTarget()).toMatchObject({ uid: Buffer.from('04112233445566', 'hex'), atqa: 0x0044, sak: 0x00 });
    chip.placeCard({ uid: '0102030405060708090A', sak: 0x20, ats: Uint8Array.from([0x05, 0x78, 0x80, 0x70, 0x02]) });
    const tenByte = await pn532.readPassiveTarget();
    expect(tenByte?.uid.toString('hex').toUpperCase()).toBe('0102030405060708090A');
    expect(tenByte?.ats).toEqual(Buffer.from([0x05, 0x78, 0x80, 0x70, 0x02]));
    chip.removeCard();
    expect(await pn532.readPassiveTarget()).toBeNull();
    expect(chip.commands.filter((c) => c.code === 0x4a).every((c) => c.params.join() === '1,0')).toBe(true);
  });

  it('reads a response longer than its first read by reading again', async () => {
    const { chip, pn532 } = setup();
    chip.placeCard({ uid: '0102030405060708090A', sak: 0x20, ats: Uint8Array.from([20, ...new Array<number>(19).fill(0x11)]) });
    const data = await pn532.command(0x4a, [0x01, 0x00], { responseLength: 4 });
    expect(data.length).toBe(1 + 1 + 2 + 1 + 1 + 10 + 20);
  });

  it('without MaxRetries a poll with no card blocks until the timeout (why init sets it)', async () => {
    const { pn532 } = setup({}, { responseTimeoutMs: 30 });
    await pn532.wakeUp();
    await pn532.samConfiguration();
    const err = await rejection(pn532.readPassiveTarget());
    expect(err.code).toBe(Pn532ErrorCode.TIMEOUT);
    expect(err.message).toMatch(/response to InListPassiveTarget ready within 30 ms/);
  });

  it('a card arriving while the chip waits (MaxRetries 0xFF) answers the waiting poll', async () => {
    const { chip, pn532 } = setup({}, { responseTimeoutMs: 5000 });
    await pn532.samConfiguration();
    const poll = pn532.readPassiveTarget();
    while (chip.commands.length < 2) await new Promise((r) => setImmediate(r));
    chip.placeCard('DEADBEEF');
    expect((await poll)?.uid.toString('hex')).toBe('deadbeef');
  });

  it('timeout waiting for the ACK', async () => {
    const { chip, pn532 } = setup({}, { ackTimeoutMs: 20 });
    chip.inject('no-ack');
    const err = await rejection(pn532.getFirmwareVersion());
    expect(err.code).toBe(Pn532ErrorCode.TIMEOUT);
    expect(err.message).toMatch(/ACK of GetFirmwareVersion/);
    expect(err.details).toMatchObject({ command: 0x02, timeoutMs: 20 });
  });

  it('timeout waiting for the response', async () => {
    const { chip, pn532 } = setup({}, { responseTimeoutMs: 20 });
    chip.inject('no-response');
    const err = await rejection(pn532.samConfiguration());
    expect(err.code).toBe(Pn532ErrorCode.TIMEOUT);
    expect(err.message).toMatch(/response to SAMConfiguration/);
  });

  it('NACK instead of ACK', async () => {
    const { chip, pn532 } = setup();
    chip.inject('nack');
    const err = await rejection(pn532.getFirmwareVersion());
    expect(err.code).toBe(Pn532ErrorCode.NACK);
    expect((await pn532.getFirmwareVersion()).text).toBe('1.6');
  });

  it('error frame, with its code', async () => {
    const { chip, pn532 } = setup();
    chip.inject('error-frame');
    const err = await rejection(pn532.getFirmwareVersion());
    expect(err.code).toBe(Pn532ErrorCode.ERROR_FRAME);
    expect(err.details).toMatchObject({ command: 0x02, frameCode: 0x7f });
    // A command the chip does not know gets the error frame too.
    const unknown = await rejection(pn532.command(0x7e));
    expect(unknown.code).toBe(Pn532ErrorCode.ERROR_FRAME);
    expect(unknown.message).toMatch(/command 0x7e/);
  });

  it('bad checksums: asks again with NACK and gets the intact frame; gives up after the retries', async () => {
    const { chip, pn532 } = setup({ busyPolls: 1 });
    chip.inject('corrupt-dcs');
    expect((await pn532.getFirmwareVersion()).text).toBe('1.6');
    expect(chip.hostNacks).toBe(1);
    chip.inject('corrupt-lcs');
    expect((await pn532.getFirmwareVersion()).ic).toBe(0x32);
    expect(chip.hostNacks).toBe(2);

    const { chip: chip2, pn532: strict } = setup({}, { nackRetries: 0 });
    chip2.inject('corrupt-dcs');
    const err = await rejection(strict.getFirmwareVersion());
    expect(err.code).toBe(Pn532ErrorCode.CHECKSUM);
    expect(err.message).toMatch(/wrong checksum 1 times.*data checksum/);
    expect(chip2.hostNacks).toBe(0);
  });

  it('wrong address / no device → NO_DEVICE naming the address and what to check', async () => {
    const { pn532 } = setup({ address: 0x25 });
    const err = await rejection(pn532.init());
    expect(err.code).toBe(Pn532ErrorCode.NO_DEVICE);
    expect(err.message).toMatch(/no answer from a PN532 at I2C address 0x24 \(EREMOTEIO\)/);
    expect(err.message).toMatch(/I2C/);
    expect(err.details).toMatchObject({ errno: 'EREMOTEIO', address: 0x24 });
  });

  it('other bus errors → BUS with the errno', async () => {
    const { chip, pn532 } = setup();
    chip.inject('bus-error');
    const err = await rejection(pn532.getFirmwareVersion());
    expect(err.code).toBe(Pn532ErrorCode.BUS);
    expect(err.details).toMatchObject({ errno: 'EIO' });
    expect(isPn532Error(err, Pn532ErrorCode.BUS)).toBe(true);
  });

  it('re-init after errors: a disconnected and reconnected chip (power-on state) works again', async () => {
    const { chip, pn532 } = setup();
    await pn532.init();
    chip.placeCard('11223344');
    expect(await pn532.readPassiveTarget()).not.toBeNull();
    chip.disconnect();
    expect((await rejection(pn532.readPassiveTarget())).code).toBe(Pn532ErrorCode.NO_DEVICE);
    expect((await rejection(pn532.init())).code).toBe(Pn532ErrorCode.NO_DEVICE);
    chip.reconnect();
    expect(chip.samConfigured).toBe(false);
    expect((await pn532.init()).text).toBe('1.6');
    expect(chip.maxRetries[2]).toBe(0x02);
    expect((await pn532.readPassiveTarget())?.uid.toString('hex')).toBe('11223344');
  });

  it('re-init aborts a command the chip is still busy with (a timed-out poll waiting for a card)', async () => {
    const { chip, pn532 } = setup({}, { responseTimeoutMs: 20 });
    await pn532.samConfiguration();
    expect((await rejection(pn532.readPassiveTarget())).code).toBe(Pn532ErrorCode.TIMEOUT);
    // The chip still waits for a card and ignores new commands; the ACK frame in init aborts it.
    expect((await rejection(pn532.getFirmwareVersion())).code).toBe(Pn532ErrorCode.TIMEOUT);
    expect(chip.rejectedFrames).toHaveLength(1);
    await pn532.init();
    chip.placeCard('CAFEF00D');
    expect((await pn532.readPassiveTarget())?.uid.toString('hex')).toBe('cafef00d');
  });

  it('serialises concurrent commands and refuses commands after close', async () => {
    const { chip, pn532 } = setup({ busyPolls: 2 });
    chip.placeCard('0A0B0C0D');
    const [a, b, c] = await Promise.all([pn532.getFirmwareVersion(), pn532.readPassiveTarget(), pn532.getFirmwareVersion()]);
    expect(a.text).toBe('1.6');
    expect(b?.uid.toString('hex')).toBe('0a0b0c0d');
    expect(c.ic).toBe(0x32);
    await pn532.close();
    expect(chip.closed).toBe(true);
    expect((await rejection(pn532.getFirmwareVersion())).code).toBe(Pn532ErrorCode.CLOSED);
  });

  it('rejects a UID length that ISO/IEC 14443-3 does not have', async () => {
    const { pn532 } = setup();
    const { parseTypeATarget } = await import('./pn532.js');
    const bad = (m: string) => new Error(m);
    expect(() => parseTypeATarget(Buffer.from([0x01, 0x01, 0x00, 0x04, 0x08, 0x05, 1, 2, 3, 4, 5]), bad)).toThrow(/not 4, 7 or 10/);
    expect(() => parseTypeATarget(Buffer.from([0x01, 0x01, 0x00, 0x04, 0x08, 0x07, 1, 2, 3]), bad)).toThrow(/ends inside/);
    expect(parseTypeATarget(Buffer.from([0x00]), bad)).toBeNull();
    await pn532.close();
  });

  it('checks the address', () => {
    expect(() => new Pn532(new Pn532Emulator(), { address: 0x80 })).toThrow(/7-bit address/);
  });
});
