import { setTimeout as sleepMs } from 'node:timers/promises';
import { ACK_FRAME, Command, NACK_FRAME, TFI_PN532_TO_HOST, decodeFrame, encodeCommand, hex } from './frame.js';
import type { I2cBusLike } from './i2c-bus-like.js';
import { Pn532Error, Pn532ErrorCode, busError, errnoName } from './pn532-error.js';

/** The PN532's 7-bit I2C address (0x48 write / 0x49 read on the wire). */
export const PN532_I2C_ADDRESS = 0x24;
/** Bit 0 of the status byte that starts every I2C read: the chip has a frame ready. */
const STATUS_READY = 0x01;

export interface Pn532Options {
  /** 7-bit I2C address. Default 0x24. */
  address?: number;
  /** How long to wait for the ACK of a command. Default 500 ms. */
  ackTimeoutMs?: number;
  /** How long to wait for a response (after the ACK). Default 1000 ms. */
  responseTimeoutMs?: number;
  /** Pause between two reads of the status byte. Default 2 ms. */
  statusPollMs?: number;
  /** Times a response with a bad checksum is asked for again (NACK) before giving up. Default 2. */
  nackRetries?: number;
  /**
   * MxRtyPassiveActivation of RFConfiguration item 0x05: how often InListPassiveTarget retries
   * before answering "no card". 0xFF (the chip's default) waits for a card for ever, which would
   * block the reader; the default 0x02 answers within a few milliseconds.
   */
  passiveActivationRetries?: number;
  /** Name of the bus device for messages, e.g. "/dev/i2c-1". */
  device?: string;
  /** Waits (tests pass a fake to run fast). Default: timers. */
  sleep?: (ms: number) => Promise<void>;
  /** Clock for the timeouts. Default Date.now. */
  now?: () => number;
}

export interface FirmwareVersion {
  /** IC: 0x32 for a PN532. */
  ic: number;
  /** Firmware version and revision: 1 and 6 for "1.6". */
  version: number;
  revision: number;
  /** Bit 0 ISO/IEC 14443 type A, bit 1 type B, bit 2 ISO 18092. */
  support: number;
  /** "1.6" */
  text: string;
}

/** An ISO/IEC 14443 type A card found by InListPassiveTarget. */
export interface Pn532Card {
  /** Target number the PN532 gave it (1). */
  target: number;
  /** NFCID1: 4, 7 or 10 bytes, in the order the card sent them. */
  uid: Buffer;
  /** SENS_RES (ATQA), 2 bytes as a number (e.g. 0x0004 for MIFARE Classic 1K). */
  atqa: number;
  /** SEL_RES (SAK), e.g. 0x08 for MIFARE Classic 1K. */
  sak: number;
  /** ATS of ISO/IEC 14443-4 cards, if the chip sent one. */
  ats?: Buffer;
}

export interface CommandOptions {
  /** Expected size of the response data, to read it in one I2C transfer. Default 32. */
  responseLength?: number;
  responseTimeoutMs?: number;
}

/**
 * A PN532 on an I2C bus, driven by the host-controller protocol of NXP's UM0701-02: command
 * frames written in one transfer, the status byte polled until ready, the ACK frame checked, the
 * response frame read with its checksums verified (and asked for again by NACK when they are wrong).
 * Commands are serialised: callers may call concurrently.
 */
export class Pn532 {
  readonly address: number;
  readonly #bus: I2cBusLike;
  readonly #o: Required<Omit<Pn532Options, 'address'>>;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(bus: I2cBusLike, options: Pn532Options = {}) {
    this.#bus = bus;
    this.address = options.address ?? PN532_I2C_ADDRESS;
    if (!Number.isInteger(this.address) || this.address < 0x03 || this.address > 0x77) {
      throw new RangeError(`I2C address ${this.address} is not a 7-bit address (0x03-0x77); the PN532's is 0x24`);
    }
    const passive = options.passiveActivationRetries ?? 0x02;
    if (!Number.isInteger(passive) || passive < 0 || passive > 0xff) throw new RangeError('passiveActivationRetries must be 0-255');
    this.#o = {
      ackTimeoutMs: options.ackTimeoutMs ?? 500,
      responseTimeoutMs: options.responseTimeoutMs ?? 1000,
      statusPollMs: options.statusPollMs ?? 2,
      nackRetries: options.nackRetries ?? 2,
      passiveActivationRetries: passive,
      device: options.device ?? 'the I2C bus device',
      sleep: options.sleep ?? ((ms) => sleepMs(ms)),
      now: options.now ?? Date.now,
    };
  }

  /**
   * Wakes the chip and sets it up for reading cards: wake-up, abort whatever it was doing (ACK),
   * SAMConfiguration normal mode (also what takes a PN532 C106 out of its power-on LowVbat
   * state), GetFirmwareVersion, RFConfiguration MaxRetries. Safe to call again after errors:
   * this is the re-init the reader runs with backoff.
   */
  async init(): Promise<FirmwareVersion> {
    await this.wakeUp();
    await this.samConfiguration();
    const firmware = await this.getFirmwareVersion();
    await this.setMaxRetries({ passiveActivation: this.#o.passiveActivationRetries });
    return firmware;
  }

  /**
   * In I2C mode the PN532 wakes from power-down (and from the C106's power-on LowVbat state) on a
   * match of its address; while it wakes it may not acknowledge that first transfer. So: one
   * transfer whose "no device" error is expected, a pause for the oscillator to start, then an
   * ACK frame, which makes the chip abort any command still in progress (UM0701-02 §6.2.1.3)
   * e.g. one left behind by a previous process.
   */
  async wakeUp(): Promise<void> {
    return this.#exclusive(async () => {
      try {
        await this.#bus.i2cRead(this.address, 1, Buffer.alloc(1));
      } catch (err) {
        const errno = errnoName(err);
        if (errno !== 'EREMOTEIO' && errno !== 'ENXIO') throw busError(err, this.address, 'wake-up', this.#o.device);
      }
      await this.#o.sleep(5);
      await this.#write(ACK_FRAME, 'wake-up (ACK)');
      await this.#o.sleep(2);
    });
  }

  /** GetFirmwareVersion (0x02). */
  async getFirmwareVersion(): Promise<FirmwareVersion> {
    const data = await this.command(Command.GetFirmwareVersion, [], { responseLength: 6 });
    if (data.length < 4) throw this.#bad(Command.GetFirmwareVersion, `GetFirmwareVersion answered ${data.length} bytes, expected 4`, data);
    const [ic, version, revision, support] = data as unknown as [number, number, number, number];
    return { ic, version, revision, support, text: `${version}.${revision}` };
  }

  /** SAMConfiguration (0x14): normal mode (no SAM), virtual card timeout 1 s, use the IRQ pin. */
  async samConfiguration(): Promise<void> {
    await this.command(Command.SAMConfiguration, [0x01, 0x14, 0x01], { responseLength: 2 });
  }

  /**
   * RFConfiguration (0x32) item 0x05 MaxRetries: MxRtyATR, MxRtyPSL, MxRtyPassiveActivation.
   * `passiveActivation` 0xFF means "retry for ever".
   */
  async setMaxRetries(retries: { atr?: number; psl?: number; passiveActivation: number }): Promise<void> {
    await this.command(Command.RFConfiguration, [0x05, retries.atr ?? 0xff, retries.psl ?? 0x01, retries.passiveActivation], { responseLength: 2 });
  }

  /**
   * InListPassiveTarget (0x4A) for one target at 106 kbps type A (ISO/IEC 14443 A, MIFARE):
   * the card in the field, or null when there is none.
   */
  async readPassiveTarget(): Promise<Pn532Card | null> {
    const data = await this.command(Command.InListPassiveTarget, [0x01, 0x00], { responseLength: 48 });
    return parseTypeATarget(data, (message) => this.#bad(Command.InListPassiveTarget, message, data));
  }

  /**
   * Sends a command and returns the response data after the response code. Throws Pn532Error:
   * TIMEOUT, NACK, CHECKSUM, ERROR_FRAME, BAD_FRAME, NO_DEVICE, BUS, CLOSED.
   */
  command(code: number, params: ArrayLike<number> = [], options: CommandOptions = {}): Promise<Buffer> {
    return this.#exclusive(() => this.#transceive(code, params, options));
  }

  /** Closes the bus. Further commands throw CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => {});
    await this.#bus.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ------------------------------------------------------------------ protocol

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(
      () => (this.#closed ? Promise.reject(new Pn532Error(Pn532ErrorCode.CLOSED, 'the PN532 driver is closed')) : fn()),
      () => (this.#closed ? Promise.reject(new Pn532Error(Pn532ErrorCode.CLOSED, 'the PN532 driver is closed')) : fn()),
    );
    this.#queue = run.catch(() => {});
    return run;
  }

  async #transceive(code: number, params: ArrayLike<number>, options: CommandOptions): Promise<Buffer> {
    const name = commandName(code);
    await this.#write(encodeCommand(code, params), name);

    // ACK (or the NACK / error frame a confused chip sends instead).
    await this.#waitReady(this.#o.ackTimeoutMs, `the ACK of ${name}`, code);
    const ack = await this.#readFrame(ACK_FRAME.length, name);
    if (ack.kind === 'nack') {
      throw new Pn532Error(Pn532ErrorCode.NACK, `the PN532 answered ${name} with a NACK frame (it did not take the command)`, { details: { command: code } });
    }
    if (ack.kind === 'error') throw errorFrame(code, ack.code);
    if (ack.kind !== 'ack') throw this.#bad(code, `expected the ACK frame after ${name}, got another frame`, ack.kind === 'data' ? ack.data : undefined);

    // Response; a wrong checksum is asked for again with a NACK frame (§6.2.1.4).
    const responseLength = (options.responseLength ?? 32) + 7;
    for (let attempt = 0; ; attempt++) {
      await this.#waitReady(options.responseTimeoutMs ?? this.#o.responseTimeoutMs, `the response to ${name}`, code);
      let frame;
      try {
        frame = await this.#readFrame(responseLength, name);
      } catch (err) {
        if (err instanceof Pn532Error && err.code === Pn532ErrorCode.CHECKSUM && attempt < this.#o.nackRetries) {
          await this.#write(NACK_FRAME, `NACK after a bad checksum in the response to ${name}`);
          continue;
        }
        if (err instanceof Pn532Error && err.code === Pn532ErrorCode.CHECKSUM) {
          throw new Pn532Error(Pn532ErrorCode.CHECKSUM, `the response to ${name} had a wrong checksum ${attempt + 1} times: ${err.message}`, {
            cause: err,
            details: { command: code, ...err.details },
          });
        }
        throw err;
      }
      if (frame.kind === 'error') throw errorFrame(code, frame.code);
      if (frame.kind !== 'data') throw this.#bad(code, `expected the response to ${name}, got ${frame.kind === 'ack' ? 'an ACK' : 'a NACK'} frame`);
      if (frame.tfi !== TFI_PN532_TO_HOST) throw this.#bad(code, `response frame has TFI 0x${frame.tfi.toString(16)}, expected 0xD5`, frame.data);
      if (frame.data[0] !== ((code + 1) & 0xff)) {
        throw this.#bad(code, `response code 0x${(frame.data[0] ?? 0).toString(16)} does not answer ${name} (expected 0x${(code + 1).toString(16)})`, frame.data);
      }
      return frame.data.subarray(1);
    }
  }

  /** Reads `frameLength` bytes after the status byte and decodes them; reads again if the frame is longer. */
  async #readFrame(frameLength: number, what: string) {
    let length = frameLength;
    for (let i = 0; i < 3; i++) {
      const buf = await this.#read(length + 1, what);
      if (((buf[0] ?? 0) & STATUS_READY) === 0) {
        throw new Pn532Error(Pn532ErrorCode.BAD_FRAME, `the PN532 reported ready, then not ready, while answering ${what}`);
      }
      const frame = decodeFrame(buf.subarray(1));
      if (frame.kind !== 'truncated') return frame;
      // Each read starts with the status byte and the frame from its beginning again: read more.
      length = frame.needed;
    }
    throw new Pn532Error(Pn532ErrorCode.BAD_FRAME, `the frame answering ${what} does not end within ${length} bytes`);
  }

  async #waitReady(timeoutMs: number, what: string, code: number): Promise<void> {
    const deadline = this.#o.now() + timeoutMs;
    for (;;) {
      const status = await this.#read(1, what);
      if (((status[0] ?? 0) & STATUS_READY) !== 0) return;
      if (this.#o.now() >= deadline) {
        throw new Pn532Error(Pn532ErrorCode.TIMEOUT, `the PN532 did not have ${what} ready within ${timeoutMs} ms`, { details: { command: code, timeoutMs } });
      }
      await this.#o.sleep(this.#o.statusPollMs);
    }
  }

  async #read(length: number, what: string): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    let result;
    try {
      result = await this.#bus.i2cRead(this.address, length, buffer);
    } catch (err) {
      throw busError(err, this.address, `read (${what})`, this.#o.device);
    }
    return result.buffer.subarray(0, result.bytesRead);
  }

  async #write(frame: Readonly<Buffer>, what: string): Promise<void> {
    try {
      await this.#bus.i2cWrite(this.address, frame.length, Buffer.from(frame));
    } catch (err) {
      throw busError(err, this.address, `write (${what})`, this.#o.device);
    }
  }

  #bad(code: number, message: string, data?: Uint8Array): Pn532Error {
    return new Pn532Error(Pn532ErrorCode.BAD_FRAME, message, { details: { command: code, ...(data ? { data: hex(data) } : {}) } });
  }
}

/** Parses InListPassiveTarget's answer for 106 kbps type A: NbTg, then Tg SENS_RES(2) SEL_RES NFCIDLength NFCID1 [ATS]. */
export function parseTypeATarget(data: Uint8Array, bad: (message: string) => Error): Pn532Card | null {
  const count = data[0];
  if (count === undefined) throw bad('InListPassiveTarget answered without NbTg');
  if (count === 0) return null;
  if (data.length < 6) throw bad(`InListPassiveTarget answer of ${data.length} bytes is too short for a target`);
  const target = data[1] as number;
  const atqa = ((data[2] as number) << 8) | (data[3] as number);
  const sak = data[4] as number;
  const uidLength = data[5] as number;
  if (uidLength !== 4 && uidLength !== 7 && uidLength !== 10) throw bad(`card UID length ${uidLength} is not 4, 7 or 10 bytes (ISO/IEC 14443-3)`);
  if (data.length < 6 + uidLength) throw bad(`InListPassiveTarget answer ends inside the ${uidLength}-byte UID`);
  const uid = Buffer.from(data.subarray(6, 6 + uidLength));
  const card: Pn532Card = { target, uid, atqa, sak };
  const atsLength = data[6 + uidLength];
  if (atsLength !== undefined && atsLength > 0) card.ats = Buffer.from(data.subarray(6 + uidLength, 6 + uidLength + atsLength));
  return card;
}

function errorFrame(code: number, errorCode: number | undefined): Pn532Error {
  return new Pn532Error(
    Pn532ErrorCode.ERROR_FRAME,
    `the PN532 answered ${commandName(code)} with its error frame (syntax error at application level${errorCode === undefined ? '' : `, code 0x${errorCode.toString(16).padStart(2, '0')}`})`,
    { details: { command: code, frameCode: 0x7f, ...(errorCode === undefined ? {} : { errorCode }) } },
  );
}

const NAMES = new Map<number, string>(Object.entries(Command).map(([name, code]) => [code, name]));

export function commandName(code: number): string {
  return NAMES.get(code) ?? `command 0x${code.toString(16).padStart(2, '0')}`;
}
