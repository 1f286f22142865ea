import { describe, expect, it } from 'vitest';
import { Pn532Emulator } from '../testing/pn532-emulator.js';
import { runPn532Diagnostic, type DiagnosticIo } from './run-diagnostic.js';

function capture() {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const fast: Pick<DiagnosticIo, 'driver'> = { driver: { statusPollMs: 0 } };

describe('charge-it-edge pn532 (diagnostic)', () => {
  it('--help', async () => {
    const io = capture();
    expect(await runPn532Diagnostic(['--help'], io)).toBe(0);
    expect(io.out).toMatch(/Usage:\n {2}charge-it-edge pn532 \[--bus 1\] \[--address 0x24\]/);
    expect(io.out).toMatch(/Ctrl-C/);
  });

  it('bad options exit 2 naming the option', async () => {
    for (const [argv, message] of [
      [['--bus', 'one'], /--bus must be a bus number like 1, got "one"/],
      [['--address', '0x99'], /--address must be a 7-bit I2C address/],
      [['--format', 'octal'], /--format: idTagFormat "octal" is unknown/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
    ] as const) {
      const io = capture();
      expect(await runPn532Diagnostic([...argv], io)).toBe(2);
      expect(io.err).toMatch(message);
    }
  });

  it('prints the firmware, then every tapped UID (once while held, again after removal), until Ctrl-C', async () => {
    const chip = new Pn532Emulator({ asleep: true, busyPolls: 2 });
    const io = capture();
    const abort = new AbortController();
    const run = runPn532Diagnostic(['--interval-ms', '0', '--format', 'hex-reversed'], { ...io, ...fast, bus: chip, signal: abort.signal });
    await until(() => io.out.includes('Tap a card'), 'the prompt');
    expect(io.out).toMatch(/PN532 firmware 1\.6 \(IC 0x32; supports ISO\/IEC 14443 A, ISO\/IEC 14443 B, ISO 18092\)/);
    chip.placeCard('04A23B1C');
    await until(() => io.out.includes('card 04A23B1C ('), 'the card');
    await chip.whenPolled(5);
    chip.removeCard();
    await until(() => io.out.includes('card 04A23B1C removed'), 'the removal');
    chip.placeCard('04112233445566');
    await until(() => io.out.includes('card 04112233445566'), 'the 7-byte card');
    abort.abort();
    expect(await run).toBe(0);
    expect(io.out).toMatch(/card 04A23B1C \(4-byte UID, ATQA 0x0004, SAK 0x08, MIFARE Classic 1K\) → idTag 1C3BA204/);
    expect(io.out).toMatch(/card 04112233445566 \(7-byte UID, ATQA 0x0044, SAK 0x00, MIFARE Ultralight \/ NTAG\)/);
    expect(io.out.match(/card 04A23B1C \(/g)).toHaveLength(1);
    expect(io.out.trim().split('\n').at(-1)).toBe('stopped');
    expect(io.err).toBe('');
  });

  it('reader errors while tapping are printed and the chip re-initialised', async () => {
    const chip = new Pn532Emulator();
    const io = capture();
    const abort = new AbortController();
    const run = runPn532Diagnostic(['--interval-ms', '0'], { ...io, ...fast, bus: chip, signal: abort.signal });
    await until(() => io.out.includes('Tap a card'), 'the prompt');
    chip.inject('bus-error');
    await until(() => io.out.includes('reader back'), 'the recovery');
    expect(io.err).toMatch(/reader error: I2C (read|write) .* failed: EIO/);
    chip.placeCard('DEADBEEF');
    await until(() => io.out.includes('card DEADBEEF'), 'a card after the recovery');
    abort.abort();
    expect(await run).toBe(0);
  });

  it('no answer at 0x24: wiring, the I2C switch, i2cdetect', async () => {
    const io = capture();
    expect(await runPn532Diagnostic([], { ...io, ...fast, bus: new Pn532Emulator({ address: 0x25 }) })).toBe(1);
    expect(io.err).toMatch(/no answer at 0x24 on \/dev\/i2c-1/);
    expect(io.err).toMatch(/SDA → GPIO2 \(pin 3\), SCL → GPIO3 \(pin 5\)/);
    expect(io.err).toMatch(/interface switch is set to I2C/);
    expect(io.err).toMatch(/i2cdetect -y 1/);
  });

  it('no /dev/i2c-1, permission denied, addon missing: what to do', async () => {
    const failingBus = (code: string) => async () => ({
      openPromisified: async () => {
        const fail = async () => {
          throw Object.assign(new Error(`${code}, open '/dev/i2c-1'`), { code });
        };
        return { i2cRead: fail, i2cWrite: fail, close: async () => {} };
      },
    });
    let io = capture();
    expect(await runPn532Diagnostic(['--bus', '1'], { ...io, loadI2cBus: failingBus('ENOENT') })).toBe(1);
    expect(io.err).toMatch(/\/dev\/i2c-1 does not exist: I2C is not enabled\. On a Raspberry Pi run "sudo raspi-config" → Interface Options → I2C/);
    io = capture();
    expect(await runPn532Diagnostic([], { ...io, loadI2cBus: failingBus('EACCES') })).toBe(1);
    expect(io.err).toMatch(/permission denied opening \/dev\/i2c-1: add the user .* i2c group \("sudo usermod -aG i2c \$USER"/);
    io = capture();
    const missing = async () => {
      throw new Error("Cannot find package 'i2c-bus'");
    };
    expect(await runPn532Diagnostic([], { ...io, loadI2cBus: missing })).toBe(1);
    expect(io.err).toMatch(/i2c-bus native addon cannot be loaded .*npm install i2c-bus/);
  });
});
