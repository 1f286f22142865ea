import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { I2cBusLike } from '../driver/i2c-bus-like.js';
import { Pn532, PN532_I2C_ADDRESS, type FirmwareVersion, type Pn532Card, type Pn532Options } from '../driver/pn532.js';
import { Pn532ErrorCode, isPn532Error } from '../driver/pn532-error.js';
import { formatIdTag, resolveIdTagFormat, type IdTagFormatOption } from '../reader/format-id-tag.js';
import { importI2cBus, openI2cBus, type I2cBusLoader } from '../reader/open-i2c-bus.js';

export const DIAGNOSTIC_HELP = `charge-it-edge pn532 (also: charge-it-pn532): check a PN532 NFC reader on I2C

Prints the chip's firmware version, then the UID of every card tapped, until Ctrl-C. Run it first
when setting up a reader: it needs no central system and no edge.json.

Usage:
  charge-it-edge pn532 [--bus 1] [--address 0x24] [--format hex]

Options:
  --bus <n>          I2C bus number: /dev/i2c-<n>. The Raspberry Pi's header pins 3 and 5 are bus 1  [default 1]
  --address <addr>   7-bit I2C address of the PN532 (0x24; "i2cdetect -y 1" shows it as 24)        [default 0x24]
  --format <f>       Also print the idTag as the plugin would: hex, hex-reversed, decimal, decimal-reversed [default hex]
  --interval-ms <ms> Pause between polls                                                             [default 200]
  -h, --help         Show this help

Exit codes: 0 stopped with Ctrl-C, 1 the reader cannot be used (the message says why), 2 bad options.
`;

export interface DiagnosticIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Aborted on Ctrl-C (the bin wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
  /** Loads i2c-bus (default: dynamic import). */
  loadI2cBus?: I2cBusLoader;
  /** An already open bus instead of /dev/i2c-N (the emulator in tests). */
  bus?: I2cBusLike;
  /** Driver timing (tests). */
  driver?: Omit<Pn532Options, 'address' | 'device'>;
  /** Polls in a row without the card before it counts as removed. Default 2. */
  removalPolls?: number;
}

const FAILURE = 1;
const USAGE = 2;

/**
 * `charge-it-edge pn532`: the first thing to run on a Pi with a new reader. Opens the bus, wakes
 * and configures the chip, prints the firmware, then every new card until the signal aborts.
 * Returns the exit code; never throws for reader problems (they are printed with what to do).
 */
export async function runPn532Diagnostic(argv: string[], io: DiagnosticIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        bus: { type: 'string' },
        address: { type: 'string' },
        format: { type: 'string' },
        'interval-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(`charge-it-edge pn532: ${(err as Error).message}\nRun "charge-it-edge pn532 --help" for the options.\n`);
    return USAGE;
  }
  if (values.help) {
    io.stdout.write(DIAGNOSTIC_HELP);
    return 0;
  }
  const busNumber = values.bus === undefined ? 1 : Number(values.bus);
  if (!Number.isInteger(busNumber) || busNumber < 0 || values.bus?.trim() === '') return usage(io, `--bus must be a bus number like 1, got "${values.bus}"`);
  const address = values.address === undefined ? PN532_I2C_ADDRESS : Number(values.address);
  if (!Number.isInteger(address) || address < 0x03 || address > 0x77) return usage(io, `--address must be a 7-bit I2C address like 0x24, got "${values.address}"`);
  const intervalMs = values['interval-ms'] === undefined ? 200 : Number(values['interval-ms']);
  if (!(intervalMs >= 0)) return usage(io, `--interval-ms must be a number of milliseconds >= 0, got "${values['interval-ms']}"`);
  let format;
  try {
    format = resolveIdTagFormat(values.format as IdTagFormatOption | undefined);
  } catch (err) {
    return usage(io, `--format: ${(err as Error).message}`);
  }

  const device = `/dev/i2c-${busNumber}`;
  const hexAddress = `0x${address.toString(16).padStart(2, '0')}`;
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const fail = (line: string) => {
    io.stderr.write(`${line}\n`);
    return FAILURE;
  };

  out(`PN532 diagnostic: ${io.bus ? 'the given bus' : device}, address ${hexAddress}`);
  let bus: I2cBusLike;
  try {
    bus = io.bus ?? (await openI2cBus(busNumber, io.loadI2cBus ?? importI2cBus));
  } catch (err) {
    return fail(`cannot use the reader: ${(err as Error).message}`);
  }
  const pn532 = new Pn532(bus, { ...(io.driver ?? {}), address, device });
  const signal = io.signal ?? new AbortController().signal;
  try {
    let firmware: FirmwareVersion;
    try {
      firmware = await pn532.init();
    } catch (err) {
      return fail(explainInitFailure(err, device, hexAddress, busNumber));
    }
    out(`PN532 firmware ${firmware.text} (IC 0x${firmware.ic.toString(16)}${firmware.ic === 0x32 ? '' : ': not a PN532!'}; supports ${supportText(firmware.support)})`);
    out('Tap a card (Ctrl-C to stop)...');

    let current: string | null = null;
    let empty = 0;
    let failures = 0;
    const removalPolls = io.removalPolls ?? 2;
    while (!signal.aborted) {
      let card: Pn532Card | null;
      try {
        card = await pn532.readPassiveTarget();
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        io.stderr.write(`reader error: ${(err as Error).message}; re-initialising\n`);
        const delay = Math.min(1000 * 2 ** (failures - 1), 10_000);
        if (!(await pause(delay, signal))) break;
        try {
          await pn532.init();
          out('reader back');
        } catch {
          // reported on the next poll
        }
        continue;
      }
      if (card === null) {
        empty++;
        if (current !== null && empty >= removalPolls) {
          out(`card ${current} removed`);
          current = null;
        }
      } else {
        empty = 0;
        const uid = card.uid.toString('hex').toUpperCase();
        if (uid !== current) {
          current = uid;
          out(`card ${uid} (${card.uid.length}-byte UID, ATQA 0x${card.atqa.toString(16).padStart(4, '0')}, SAK 0x${card.sak.toString(16).padStart(2, '0')}${cardType(card)}) → idTag ${formatIdTag(card.uid, format)}`);
        }
      }
      if (!(await pause(intervalMs, signal))) break;
    }
    out('stopped');
    return 0;
  } finally {
    if (!io.bus) await pn532.close().catch(() => {});
  }
}

function usage(io: DiagnosticIo, message: string): number {
  io.stderr.write(`charge-it-edge pn532: ${message}\nRun "charge-it-edge pn532 --help" for the options.\n`);
  return USAGE;
}

function explainInitFailure(err: unknown, device: string, hexAddress: string, busNumber: number): string {
  if (isPn532Error(err, Pn532ErrorCode.NO_DEVICE)) {
    return [
      `no answer at ${hexAddress} on ${device}. Check, with the Pi powered off:`,
      `  - wiring: module SDA → GPIO2 (pin 3), SCL → GPIO3 (pin 5), VCC → 3V3 (pin 1), GND → GND (pin 6)`,
      `  - the module's interface switch is set to I2C (on the common PN532 V3 boards: switch 1 ON, switch 2 OFF), then power-cycle it`,
      `  - "i2cdetect -y ${busNumber}" (package i2c-tools) lists address ${hexAddress.slice(2)}`,
    ].join('\n');
  }
  if (isPn532Error(err, Pn532ErrorCode.TIMEOUT)) {
    return `the chip at ${hexAddress} acknowledges its address but does not answer in time (${(err as Error).message}). Power-cycle the module; check the interface switch (I2C) and that nothing else drives the bus`;
  }
  return `cannot use the reader: ${(err as Error)?.message ?? String(err)}`;
}

function supportText(bits: number): string {
  const names = [bits & 1 ? 'ISO/IEC 14443 A' : '', bits & 2 ? 'ISO/IEC 14443 B' : '', bits & 4 ? 'ISO 18092' : ''].filter(Boolean);
  return names.length ? names.join(', ') : 'nothing reported';
}

function cardType(card: Pn532Card): string {
  if (card.sak === 0x08) return ', MIFARE Classic 1K';
  if (card.sak === 0x18) return ', MIFARE Classic 4K';
  if (card.sak === 0x00 && card.uid.length === 7) return ', MIFARE Ultralight / NTAG';
  if (card.sak & 0x20) return ', ISO/IEC 14443-4';
  return '';
}

function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return sleep(ms, undefined, { signal }).then(
    () => true,
    () => false,
  );
}
