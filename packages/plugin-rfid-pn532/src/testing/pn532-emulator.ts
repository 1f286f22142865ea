import type { I2cBusLike } from '../driver/i2c-bus-like.js';

/** A card in the emulated RF field (ISO/IEC 14443 type A). */
export interface EmulatedCard {
  /** 4, 7 or 10 bytes, as hex ("04A23B1C", "04:a2:3b:1c") or bytes. */
  uid: string | Uint8Array;
  /** SENS_RES (ATQA). Default: 0x0004 for 4-byte UIDs (MIFARE Classic 1K), 0x0044 for 7, 0x0084 for 10. */
  atqa?: number;
  /** SEL_RES (SAK). Default 0x08 (MIFARE Classic 1K) for 4-byte UIDs, 0x00 otherwise. */
  sak?: number;
  /** ATS bytes (first byte = its length) for ISO/IEC 14443-4 cards. */
  ats?: Uint8Array;
}

/**
 * Faults the emulator can play, each for the next command (or transfer) once per `inject` count:
 * - 'nack': answer the command with a NACK frame instead of the ACK
 * - 'no-ack': take the command and never answer (the status byte stays busy)
 * - 'no-response': ACK, then never a response
 * - 'error-frame': ACK, then the error frame (00 00 FF 01 FF 7F 81 00) instead of the response
 * - 'corrupt-dcs' / 'corrupt-lcs': ACK, then the response with a wrong data / length checksum
 *   (a NACK from the host gets the intact frame, unless the fault is injected again)
 * - 'bus-error': the next I2C transfer fails with EIO
 * - 'no-device': the next I2C transfer fails with EREMOTEIO (nobody acknowledged the address)
 */
export type Pn532Fault = 'nack' | 'no-ack' | 'no-response' | 'error-frame' | 'corrupt-dcs' | 'corrupt-lcs' | 'bus-error' | 'no-device';

export interface Pn532EmulatorOptions {
  /** 7-bit I2C address the emulated chip answers. Default 0x24. */
  address?: number;
  /** Reply to GetFirmwareVersion. Default IC 0x32, version 1.6, support 0x07. */
  firmware?: { ic?: number; version?: number; revision?: number; support?: number };
  /** Status reads answered "busy" (0x00) before each frame (ACK or response) becomes ready. Default 0. */
  busyPolls?: number;
  /** Start in power-down: the first transfer is not acknowledged (EREMOTEIO) and wakes the chip. Default false. */
  asleep?: boolean;
  /** A card in the field from the start. */
  card?: EmulatedCard;
}

export interface EmulatedCommand {
  code: number;
  params: number[];
}

const ACK = [0x00, 0x00, 0xff, 0x00, 0xff, 0x00];
const NACK = [0x00, 0x00, 0xff, 0xff, 0x00, 0x00];
const ERROR_FRAME = [0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00];

/**
 * A byte-level emulator of an NXP PN532 on I2C that implements the part of i2c-bus's promisified
 * bus the driver uses (`i2cRead`, `i2cWrite`, `close`). It parses the host's frames strictly
 * (LEN/LCS, TFI, DCS and postamble checked; a bad frame is ignored as the chip does), answers
 * with the status byte, ACK and response frames, handles the host's ACK (abort) and NACK
 * (retransmit), and plays faults on demand. Pass it wherever the plugin takes `i2cBus`.
 *
 * It emulates GetFirmwareVersion, GetGeneralStatus, SAMConfiguration, RFConfiguration,
 * InListPassiveTarget (106 kbps type A; other baud rates find nothing) and InRelease; other
 * commands get the error frame. With MxRtyPassiveActivation 0xFF (the chip's default) an
 * InListPassiveTarget without a card is not answered until a card arrives, as on the real chip.
 */
export class Pn532Emulator implements I2cBusLike {
  address: number;
  /** Status reads answered busy before each frame; change it at any time. */
  busyPolls: number;
  readonly firmware: { ic: number; version: number; revision: number; support: number };
  /** Every well-formed command received, oldest first. */
  readonly commands: EmulatedCommand[] = [];
  /** Frames the chip ignored, as hex: not well-formed, or ("busy: ...") sent while a command was still running. */
  readonly rejectedFrames: string[] = [];
  /** ACK frames (aborts) and NACK frames (retransmission requests) received from the host. */
  hostAcks = 0;
  hostNacks = 0;
  /** I2C transfers that reached the chip (reads + writes) and status reads answered busy. */
  transfers = 0;
  busyReads = 0;
  /** Whether SAMConfiguration was received since power-on (the C106 leaves LowVbat with it). */
  samConfigured = false;
  /** RFConfiguration MaxRetries: [MxRtyATR, MxRtyPSL, MxRtyPassiveActivation]. */
  maxRetries: [number, number, number] = [0xff, 0x01, 0xff];

  #card: Required<Omit<EmulatedCard, 'ats'>> & { uid: Buffer; ats?: Uint8Array } | null = null;
  #asleep: boolean;
  #connected = true;
  #closed = false;
  #faults: Pn532Fault[] = [];
  /** Frame being offered to the host and its remaining busy polls; then the queued ones. */
  #out: { frame: Buffer; busy: number } | null = null;
  #queue: Buffer[] = [];
  #lastResponse: Buffer | null = null;
  #waitingForCard = false;
  #polls = 0;
  #pollWaiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(options: Pn532EmulatorOptions = {}) {
    this.address = options.address ?? 0x24;
    this.busyPolls = options.busyPolls ?? 0;
    this.#asleep = options.asleep ?? false;
    this.firmware = { ic: 0x32, version: 0x01, revision: 0x06, support: 0x07, ...(options.firmware ?? {}) };
    if (options.card) this.placeCard(options.card);
  }

  // ---------------------------------------------------------------- the test's controls

  /** Puts a card in the field; it stays there (one tap held) until `removeCard()`. */
  placeCard(card: EmulatedCard | string): void {
    const c = typeof card === 'string' ? { uid: card } : card;
    const uid = typeof c.uid === 'string' ? Buffer.from(c.uid.replace(/[\s:.-]/g, ''), 'hex') : Buffer.from(c.uid);
    if (![4, 7, 10].includes(uid.length)) throw new RangeError(`an ISO/IEC 14443 A UID has 4, 7 or 10 bytes, not ${uid.length}`);
    this.#card = {
      uid,
      atqa: c.atqa ?? (uid.length === 4 ? 0x0004 : uid.length === 7 ? 0x0044 : 0x0084),
      sak: c.sak ?? (uid.length === 4 ? 0x08 : 0x00),
      ...(c.ats ? { ats: c.ats } : {}),
    };
    if (this.#waitingForCard) {
      this.#waitingForCard = false;
      this.#respond(this.#listPassiveTarget());
    }
  }

  /** Takes the card out of the field. */
  removeCard(): void {
    this.#card = null;
  }

  get card(): string | null {
    return this.#card ? this.#card.uid.toString('hex').toUpperCase() : null;
  }

  /** Plays `fault` on the next `times` commands (or transfers, for bus faults), in order of injection. */
  inject(fault: Pn532Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.#faults.push(fault);
  }

  /** Faults injected but not played yet. */
  get pendingFaults(): readonly Pn532Fault[] {
    return this.#faults;
  }

  /** Wires off (or the module powered down): every transfer fails with EREMOTEIO until `reconnect()`. */
  disconnect(): void {
    this.#connected = false;
  }

  /** Wires back: the chip comes back as after power-on (unconfigured, asleep). */
  reconnect(): void {
    this.#connected = true;
    this.#asleep = true;
    this.samConfigured = false;
    this.maxRetries = [0xff, 0x01, 0xff];
    this.#out = null;
    this.#queue = [];
    this.#lastResponse = null;
    this.#waitingForCard = false;
  }

  /** InListPassiveTarget answers the host has read so far. */
  get polls(): number {
    return this.#polls;
  }

  /** Resolves once the host has read `n` more InListPassiveTarget answers (the reader is polling). */
  whenPolled(n = 1): Promise<void> {
    const count = this.#polls + n;
    return new Promise((resolve) => {
      this.#pollWaiters.push({ count, resolve });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---------------------------------------------------------------- i2c-bus interface

  async i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    this.#transfer(address, 'i2cWrite');
    this.#onHostFrame(Buffer.from(buffer.subarray(0, length)));
    return { bytesWritten: length, buffer };
  }

  async i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    this.#transfer(address, 'i2cRead');
    buffer.fill(0x00, 0, length);
    const out = this.#out;
    if (!out || out.busy > 0) {
      if (out) out.busy--;
      this.busyReads++;
      return { bytesRead: length, buffer };
    }
    buffer[0] = 0x01;
    out.frame.copy(buffer, 1, 0, Math.min(out.frame.length, length - 1));
    if (length - 1 >= out.frame.length) this.#consumed(out.frame);
    return { bytesRead: length, buffer };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  // ---------------------------------------------------------------- chip

  #transfer(address: number, syscall: string): void {
    if (this.#closed) throw errno('EBADF', 9, syscall, 'Bad file descriptor (the bus is closed)');
    const fault = this.#faults[0];
    if (fault === 'bus-error' || fault === 'no-device') {
      this.#faults.shift();
      throw fault === 'bus-error' ? errno('EIO', 5, syscall, 'Input/output error') : errno('EREMOTEIO', 121, syscall, 'Remote I/O error');
    }
    if (address !== this.address || !this.#connected) throw errno('EREMOTEIO', 121, syscall, 'Remote I/O error');
    if (this.#asleep) {
      // The address match wakes the chip, but this transfer is not acknowledged.
      this.#asleep = false;
      throw errno('EREMOTEIO', 121, syscall, 'Remote I/O error');
    }
    this.transfers++;
  }

  #consumed(frame: Buffer): void {
    if (frame.length > 6 && frame[5] === 0xd5 && frame[6] === 0x4b) {
      this.#polls++;
      const due = this.#pollWaiters.filter((w) => w.count <= this.#polls);
      this.#pollWaiters = this.#pollWaiters.filter((w) => w.count > this.#polls);
      for (const w of due) w.resolve();
    }
    const next = this.#queue.shift();
    this.#out = next ? { frame: next, busy: this.busyPolls } : null;
  }

  #offer(...frames: Buffer[]): void {
    const [first, ...rest] = frames;
    this.#out = first ? { frame: first, busy: this.busyPolls } : null;
    this.#queue = rest;
  }

  #respond(frame: Buffer): void {
    // After the ACK has been read, or straight away when it was.
    if (this.#out) this.#queue.push(frame);
    else this.#out = { frame, busy: this.busyPolls };
  }

  #onHostFrame(frame: Buffer): void {
    const bytes = [...frame];
    if (sameBytes(bytes, ACK)) {
      this.hostAcks++;
      this.#offer();
      this.#waitingForCard = false;
      return;
    }
    if (sameBytes(bytes, NACK)) {
      this.hostNacks++;
      if (this.#lastResponse) this.#offer(this.#lastResponse);
      return;
    }
    const parsed = parseHostFrame(frame);
    if (!parsed) {
      this.rejectedFrames.push(frame.toString('hex'));
      return;
    }
    if (this.#waitingForCard) {
      // Still busy with a command (an InListPassiveTarget waiting for a card): only an ACK aborts it.
      this.rejectedFrames.push(`busy: ${frame.toString('hex')}`);
      return;
    }
    const [code, ...params] = parsed;
    this.commands.push({ code: code as number, params });
    const fault = this.#faults[0] && !['bus-error', 'no-device'].includes(this.#faults[0]) ? this.#faults.shift() : undefined;
    if (fault === 'no-ack') return this.#offer();
    if (fault === 'nack') return this.#offer(Buffer.from(NACK));
    this.#offer(Buffer.from(ACK));
    if (fault === 'no-response') return;
    if (fault === 'error-frame') {
      this.#lastResponse = Buffer.from(ERROR_FRAME);
      return this.#respond(this.#lastResponse);
    }
    const response = this.#execute(code as number, params);
    if (response === 'wait-for-card') {
      this.#waitingForCard = true;
      return;
    }
    this.#lastResponse = response;
    if (fault === 'corrupt-dcs' || fault === 'corrupt-lcs') {
      const bad = Buffer.from(response);
      if (fault === 'corrupt-dcs') bad[bad.length - 2] = ((bad[bad.length - 2] as number) + 1) & 0xff;
      else bad[4] = ((bad[4] as number) + 1) & 0xff;
      return this.#respond(bad);
    }
    this.#respond(response);
  }

  #execute(code: number, p: number[]): Buffer | 'wait-for-card' {
    switch (code) {
      case 0x02: {
        const f = this.firmware;
        return frameOf([0x03, f.ic, f.version, f.revision, f.support]);
      }
      case 0x04:
        // Err, Field, NbTg (no target kept active), SAM status.
        return frameOf([0x05, 0x00, 0x00, 0x00, 0x00]);
      case 0x14: {
        const mode = p[0];
        if (mode === undefined || mode < 1 || mode > 4) return Buffer.from(ERROR_FRAME);
        this.samConfigured = true;
        return frameOf([0x15]);
      }
      case 0x32: {
        const item = p[0];
        if (item === 0x05) {
          if (p.length !== 4) return Buffer.from(ERROR_FRAME);
          this.maxRetries = [p[1] as number, p[2] as number, p[3] as number];
        }
        return frameOf([0x33]);
      }
      case 0x4a: {
        const [maxTg, brTy] = p;
        if ((maxTg !== 1 && maxTg !== 2) || brTy === undefined || brTy > 4) return Buffer.from(ERROR_FRAME);
        if (brTy !== 0x00) return frameOf([0x4b, 0x00]);
        if (!this.#card && this.maxRetries[2] === 0xff) return 'wait-for-card';
        return this.#listPassiveTarget();
      }
      case 0x52:
        return frameOf([0x53, 0x00]);
      default:
        return Buffer.from(ERROR_FRAME);
    }
  }

  #listPassiveTarget(): Buffer {
    const c = this.#card;
    if (!c) return frameOf([0x4b, 0x00]);
    return frameOf([0x4b, 0x01, 0x01, c.atqa >> 8, c.atqa & 0xff, c.sak, c.uid.length, ...c.uid, ...(c.ats ?? [])]);
  }
}

/** A PN532 → host information frame (TFI D5) around `data`, checksums computed here independently of the driver. */
function frameOf(data: number[]): Buffer {
  const body = [0xd5, ...data];
  const len = body.length;
  const sum = body.reduce((a, b) => a + b, 0);
  return Buffer.from([0x00, 0x00, 0xff, len, (256 - len) & 0xff, ...body, (256 - (sum % 256)) & 0xff, 0x00]);
}

/** Strict parse of a host command frame; null when anything is off. Returns [command, ...params]. */
function parseHostFrame(f: Buffer): number[] | null {
  if (f.length < 9 || f[0] !== 0x00 || f[1] !== 0x00 || f[2] !== 0xff) return null;
  let len: number;
  let start: number;
  if (f[3] === 0xff && f[4] === 0xff) {
    const m = f[5] as number;
    const l = f[6] as number;
    if (((m + l + (f[7] as number)) & 0xff) !== 0) return null;
    len = m * 256 + l;
    start = 8;
  } else {
    len = f[3] as number;
    if (((len + (f[4] as number)) & 0xff) !== 0) return null;
    start = 5;
  }
  if (len < 2 || f.length !== start + len + 2) return null;
  const body = [...f.subarray(start, start + len)];
  if (body[0] !== 0xd4) return null;
  const sum = body.reduce((a, b) => a + b, 0) + (f[start + len] as number);
  if ((sum & 0xff) !== 0 || f[start + len + 1] !== 0x00) return null;
  return body.slice(1);
}

function sameBytes(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function errno(code: string, no: number, syscall: string, text: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: ${text}, ${syscall}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = no;
  err.syscall = syscall;
  return err;
}
