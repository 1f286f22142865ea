import { setTimeout as sleep } from 'node:timers/promises';
import { defineEdgePlugin, type CardOutcome, type EdgePlugin, type EdgePluginContext } from '@charge-it/edge-runtime';
import type { I2cBusLike } from '../driver/i2c-bus-like.js';
import { Pn532, PN532_I2C_ADDRESS, type Pn532Card, type Pn532Options } from '../driver/pn532.js';
import { Pn532Error, Pn532ErrorCode, isPn532Error } from '../driver/pn532-error.js';
import { MAX_ID_TAG_LENGTH, formatIdTag, resolveIdTagFormat, type IdTagFormatOption } from './format-id-tag.js';
import { importI2cBus, openI2cBus, type I2cBusLoader } from './open-i2c-bus.js';

export interface Pn532ReaderOptions {
  /** I2C bus number (1 on a Raspberry Pi: /dev/i2c-1, header pins 3 and 5), or an open bus (the emulator in tests). Default 1. */
  i2cBus?: number | I2cBusLike;
  /** 7-bit I2C address: a number, or a string such as "0x24" (JSON has no hex numbers). Default 0x24. */
  address?: number | string;
  /** Connector the reader belongs to (omit: the runtime picks a free one, or the one the card is charging on). */
  connectorId?: number;
  /** Pause between two polls for a card. Default 200 ms. */
  pollIntervalMs?: number;
  /** How the UID becomes the idTag. Default "hex" (upper case, bytes as read). */
  idTagFormat?: IdTagFormatOption;
  /** Polls in a row without the card before it counts as taken away (so a card at the edge of the field is not two taps). Default 2. */
  removalPolls?: number;
  /** Re-initialisation backoff after I2C errors: first delay and cap. Default 1 s and 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Plugin name (and `source` of presented cards). Default "pn532-reader". */
  name?: string;
  /**
   * Called after the runtime decided about a tap: the feedback hook for a buzzer or LED (one beep
   * for started/stopped, three for refused, ...). Errors it throws are logged and ignored.
   */
  onCardPresented?: (event: Pn532CardEvent) => void | Promise<void>;
  /** Called when the reader's health changes (ok ↔ error). */
  onHealthChange?: (health: Pn532ReaderHealth) => void;
  /** Driver timeouts (ack/response timeouts, status poll pause, retries). */
  driver?: Omit<Pn532Options, 'address'>;
  /** Loads the i2c-bus module; default a dynamic import (tests inject one that fails). */
  loadI2cBus?: I2cBusLoader;
}

export interface Pn532CardEvent {
  idTag: string;
  /** The UID as read, upper-case hex. */
  uid: string;
  atqa: number;
  sak: number;
  outcome: CardOutcome;
}

export interface Pn532ReaderHealth {
  /** 'starting' until the first init, then 'ok' or 'error'; 'stopped' after close. */
  state: 'starting' | 'ok' | 'error' | 'stopped';
  /** When the current state began (ISO): for 'error', since when the reader has been failing. */
  since: string;
  /** Firmware of the chip ("1.6"), once read. */
  firmware: string | null;
  /** The error while state is 'error' (the last one seen). */
  error: { code: string; message: string } | null;
  /** Re-initialisations after errors, successful or not, since start. */
  reinitAttempts: number;
  /** Taps seen since start. */
  taps: number;
  lastTapAt: string | null;
}

/** The plugin context the reader uses; `reportHealth` is optional so reader test contexts work too. */
type ReaderHostContext = Pick<EdgePluginContext, 'log' | 'onClose' | 'presentCard'> & Partial<Pick<EdgePluginContext, 'reportHealth'>>;

export interface Pn532ReaderPlugin extends EdgePlugin {
  readonly name: string;
  /** Current health (a copy). */
  readonly health: Pn532ReaderHealth;
  setup(ctx: ReaderHostContext): Promise<void>;
}

const NAME = 'pn532-reader';

/**
 * A PN532 NFC reader on I2C as an edge plugin: polls for ISO/IEC 14443 A cards (MIFARE), turns
 * each new tap into `presentCard({ idTag, connectorId, source })`. A card held on the reader is
 * one tap; it is a new tap only after it has left the field. I2C errors re-initialise the chip
 * with backoff and never reach the runtime; the health is reported with `reportHealth`, which the
 * runtime shows in its view and tells the central system (StatusNotification on connector 0,
 * errorCode ReaderFailure with info and vendorErrorCode while failing; NoError after recovery).
 *
 * Fails at start (setup) only for what needs a person: the i2c-bus addon missing, no
 * /dev/i2c-N, permission denied, a bad option.
 */
export function pn532Reader(options: Pn532ReaderOptions = {}): Pn532ReaderPlugin {
  const name = options.name ?? NAME;
  const format = checked(name, () => resolveIdTagFormat(options.idTagFormat));
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const removalPolls = options.removalPolls ?? 2;
  const initialBackoff = options.backoff?.initialMs ?? 1000;
  const maxBackoff = options.backoff?.maxMs ?? 30_000;
  const rawAddress = options.address ?? PN532_I2C_ADDRESS;
  const address: number = typeof rawAddress === 'string' ? (rawAddress.trim() === '' ? Number.NaN : Number(rawAddress)) : rawAddress;
  checked(name, () => {
    if (!(typeof pollIntervalMs === 'number' && pollIntervalMs >= 0)) throw new Error('pollIntervalMs must be a number of milliseconds >= 0');
    if (!(Number.isInteger(removalPolls) && removalPolls >= 1)) throw new Error('removalPolls must be a whole number >= 1');
    if (!(initialBackoff > 0 && maxBackoff >= initialBackoff)) throw new Error('backoff needs 0 < initialMs <= maxMs');
    if (!(Number.isInteger(address) && address >= 0x03 && address <= 0x77)) {
      throw new Error(`address must be a 7-bit I2C address ("0x24" or 36 for the PN532), got ${JSON.stringify(options.address)}`);
    }
    if (options.connectorId !== undefined && !(Number.isInteger(options.connectorId) && options.connectorId >= 1)) {
      throw new Error('connectorId must be a connector number (1, 2, ...)');
    }
    const bus = options.i2cBus ?? 1;
    if (typeof bus === 'number' ? !(Number.isInteger(bus) && bus >= 0) : typeof bus?.i2cRead !== 'function' || typeof bus?.i2cWrite !== 'function') {
      throw new Error('i2cBus must be a bus number (1 on a Raspberry Pi) or an open i2c-bus promisified bus');
    }
  });

  let health: Pn532ReaderHealth = { state: 'starting', since: new Date().toISOString(), firmware: null, error: null, reinitAttempts: 0, taps: 0, lastTapAt: null };

  return defineEdgePlugin({
    name,
    get health(): Pn532ReaderHealth {
      return { ...health, error: health.error ? { ...health.error } : null };
    },
    async setup(ctx: ReaderHostContext) {
      const log = ctx.log.child({ reader: name });
      const bus = options.i2cBus ?? 1;
      const ownsBus = typeof bus === 'number';
      const i2c = typeof bus === 'number' ? await openI2cBus(bus, options.loadI2cBus ?? importI2cBus) : bus;
      const pn532 = new Pn532(i2c, { ...(options.driver ?? {}), address, ...(typeof bus === 'number' ? { device: `/dev/i2c-${bus}` } : {}) });
      const stop = new AbortController();

      const setHealth = (next: Partial<Pn532ReaderHealth>): void => {
        const before = health.state;
        health = { ...health, ...next };
        if (health.state === before && before !== 'starting') return;
        options.onHealthChange?.({ ...health });
        if (health.state === 'ok') ctx.reportHealth?.({ ok: true, details: { firmware: health.firmware } });
        else if (health.state === 'error' && health.error) {
          ctx.reportHealth?.({
            ok: false,
            errorCode: 'ReaderFailure',
            info: truncate(`PN532: ${shortReason(health.error.code)}`, 50),
            vendorErrorCode: truncate(health.error.code, 50),
            details: { since: health.since, message: health.error.message },
          });
        }
      };
      const fail = (err: unknown): void => {
        const e = isPn532Error(err) ? err : new Pn532Error(Pn532ErrorCode.BUS, String((err as Error)?.message ?? err), { cause: err });
        if (health.state !== 'error') {
          setHealth({ state: 'error', since: new Date().toISOString(), error: { code: e.code, message: e.message } });
          log.error({ code: e.code, err: e.message }, 'PN532 reader failing; re-initialising with backoff');
        } else {
          health = { ...health, error: { code: e.code, message: e.message } };
        }
      };

      const init = async (onError?: (err: unknown) => void): Promise<boolean> => {
        try {
          const fw = await pn532.init();
          if (fw.ic !== 0x32) log.warn({ ic: fw.ic }, `chip IC 0x${fw.ic.toString(16)} is not a PN532 (0x32); trying anyway`);
          const before = health.state;
          setHealth({ state: 'ok', since: before === 'ok' ? health.since : new Date().toISOString(), firmware: fw.text, error: null });
          const what = before === 'error' ? 'PN532 reader recovered' : before === 'ok' ? 'PN532 reader re-initialised after an error' : 'PN532 reader ready';
          log.info({ firmware: fw.text, address: `0x${address.toString(16)}` }, what);
          return true;
        } catch (err) {
          if (stop.signal.aborted) return false;
          onError?.(err);
          if (isPn532Error(err, Pn532ErrorCode.I2C_UNAVAILABLE) && health.state === 'starting') return false;
          fail(err);
          return false;
        }
      };

      const wait = (ms: number) => sleep(ms, undefined, { signal: stop.signal }).then(
        () => true,
        () => false,
      );

      const present = async (card: Pn532Card): Promise<void> => {
        const uid = card.uid.toString('hex').toUpperCase();
        const idTag = formatIdTag(card.uid, format);
        health = { ...health, taps: health.taps + 1, lastTapAt: new Date().toISOString() };
        let outcome: CardOutcome;
        if (idTag.length > MAX_ID_TAG_LENGTH) {
          outcome = { result: 'ignored', reason: `idTag "${idTag}" is longer than ${MAX_ID_TAG_LENGTH} characters (change idTagFormat)` };
          log.warn({ uid, idTag }, outcome.reason);
        } else {
          try {
            outcome = await ctx.presentCard({ idTag, source: name, ...(options.connectorId === undefined ? {} : { connectorId: options.connectorId }) });
          } catch (err) {
            outcome = { result: 'refused', reason: `presenting the card failed: ${(err as Error)?.message ?? String(err)}` };
          }
          log.info({ uid, idTag, ...outcome }, `card ${outcome.result}`);
        }
        try {
          await options.onCardPresented?.({ idTag, uid, atqa: card.atqa, sak: card.sak, outcome });
        } catch (err) {
          log.warn({ err: String((err as Error)?.message ?? err) }, 'onCardPresented feedback hook failed');
        }
      };

      // The first init runs in setup: what needs a person (no /dev/i2c-N, permissions, a kernel
      // driver holding the address) fails the start; a chip that does not answer is retried.
      let firstError: unknown;
      const firstInit = await init((err) => (firstError = err));
      if (!firstInit && isPn532Error(firstError, Pn532ErrorCode.I2C_UNAVAILABLE)) {
        if (ownsBus) await pn532.close().catch(() => {});
        throw firstError;
      }

      const loop = async (): Promise<void> => {
        let ready = firstInit;
        let backoff = initialBackoff;
        let current: string | null = null;
        let emptyPolls = 0;
        while (!stop.signal.aborted) {
          if (!ready) {
            if (!(await wait(backoff))) break;
            backoff = Math.min(backoff * 2, maxBackoff);
            health = { ...health, reinitAttempts: health.reinitAttempts + 1 };
            ready = await init();
            if (ready) backoff = initialBackoff;
            continue;
          }
          let card: Pn532Card | null;
          try {
            card = await pn532.readPassiveTarget();
          } catch (err) {
            if (stop.signal.aborted) break;
            log.warn({ code: (err as Pn532Error).code, err: String((err as Error)?.message ?? err) }, 'PN532 poll failed; re-initialising');
            // One immediate re-init: a glitch that it cures is not a reader failure.
            health = { ...health, reinitAttempts: health.reinitAttempts + 1 };
            ready = await init();
            continue;
          }
          if (card === null) {
            emptyPolls++;
            if (current !== null && emptyPolls >= removalPolls) current = null;
          } else {
            emptyPolls = 0;
            const uid = card.uid.toString('hex');
            if (uid !== current) {
              current = uid;
              await present(card);
            }
          }
          if (!(await wait(pollIntervalMs))) break;
        }
      };

      const running = loop().catch((err: unknown) => log.error({ err }, 'PN532 reader loop ended unexpectedly'));
      ctx.onClose(async () => {
        stop.abort();
        await running;
        health = { ...health, state: 'stopped', since: new Date().toISOString() };
        if (ownsBus) await pn532.close().catch(() => {});
      });
    },
  }) as Pn532ReaderPlugin;
}

function checked<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new Pn532Error(Pn532ErrorCode.CONFIG_INVALID, `${name}: ${(err as Error).message}`);
  }
}

function truncate(text: string, max: number): string {
  return text.slice(0, max);
}

function shortReason(code: string): string {
  switch (code) {
    case Pn532ErrorCode.NO_DEVICE:
      return 'no answer on I2C';
    case Pn532ErrorCode.TIMEOUT:
      return 'timeout';
    case Pn532ErrorCode.CHECKSUM:
      return 'checksum errors';
    case Pn532ErrorCode.NACK:
      return 'command refused (NACK)';
    case Pn532ErrorCode.ERROR_FRAME:
      return 'error frame';
    case Pn532ErrorCode.BAD_FRAME:
      return 'bad frames';
    default:
      return 'I2C bus error';
  }
}
