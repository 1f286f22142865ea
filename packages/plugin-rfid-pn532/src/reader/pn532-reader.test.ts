import { createReaderTestContext } from '@charge-it/edge-runtime/testing';
import { describe, expect, it } from 'vitest';
import { Pn532Emulator } from '../testing/pn532-emulator.js';
import { pn532Reader, type Pn532CardEvent, type Pn532ReaderHealth, type Pn532ReaderOptions } from './pn532-reader.js';

/** expect.stringMatching, typed: vitest declares its asymmetric matchers as `any`. */
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);

/** Polls `check` until it is true; bounded (no fixed sleeps as synchronisation). */
async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function start(options: Partial<Pn532ReaderOptions> = {}, chip = new Pn532Emulator()) {
  const ctx = createReaderTestContext();
  const reports: Array<{ ok: boolean; info?: string; vendorErrorCode?: string }> = [];
  const events: Pn532CardEvent[] = [];
  const reader = pn532Reader({
    i2cBus: chip,
    pollIntervalMs: 0,
    backoff: { initialMs: 5, maxMs: 20 },
    driver: { statusPollMs: 0, responseTimeoutMs: 200, ackTimeoutMs: 200 },
    onCardPresented: (e) => void events.push(e),
    ...options,
  });
  const host = { ...ctx, reportHealth: (r: { ok: boolean; info?: string; vendorErrorCode?: string }) => void reports.push(r) };
  return { chip, ctx, reader, reports, events, ready: reader.setup(host) };
}

describe('pn532Reader on the emulator', () => {
  it('a tap starts, a card held stays one tap, the same card again stops, another card is refused', async () => {
    const { chip, ctx, reader, events, ready } = start({ connectorId: 1 });
    await ready;
    await until(() => reader.health.state === 'ok', 'the reader to be ready');
    expect(reader.health.firmware).toBe('1.6');

    chip.placeCard('04A23B1C');
    await until(() => ctx.cards.length === 1, 'the first tap');
    expect(ctx.cards[0]).toEqual({ idTag: '04A23B1C', connectorId: 1, source: 'pn532-reader' });
    await chip.whenPolled(5); // held across five more polls: still one tap
    expect(ctx.cards).toHaveLength(1);

    chip.removeCard();
    await chip.whenPolled(3);
    chip.placeCard('04:11:22:33:44:55:66'); // another card while charging
    await until(() => ctx.cards.length === 2, 'the second card');
    chip.removeCard();
    await chip.whenPolled(3);
    chip.placeCard('04A23B1C'); // the first card again: a new tap
    await until(() => ctx.cards.length === 3, 'the re-tap');
    expect(ctx.cards.map((c) => c.idTag)).toEqual(['04A23B1C', '04112233445566', '04A23B1C']);
    expect(ctx.outcomes.map((o) => o.result)).toEqual(['started', 'refused', 'stopped']);
    expect(events.map((e) => [e.uid, e.outcome.result])).toEqual([
      ['04A23B1C', 'started'],
      ['04112233445566', 'refused'],
      ['04A23B1C', 'stopped'],
    ]);
    expect(events[0]).toMatchObject({ atqa: 0x0004, sak: 0x08 });
    expect(reader.health.taps).toBe(3);
    await ctx.close();
    expect(reader.health.state).toBe('stopped');
    expect(chip.closed).toBe(false); // a bus passed in belongs to the caller
  });

  it('one poll without the card (a card at the edge of the field) is not a new tap', async () => {
    const { chip, ctx, ready } = start({ removalPolls: 3 });
    await ready;
    chip.placeCard('DEADBEEF');
    await until(() => ctx.cards.length === 1, 'the tap');
    chip.removeCard();
    await chip.whenPolled(2);
    chip.placeCard('DEADBEEF');
    await chip.whenPolled(4);
    expect(ctx.cards).toHaveLength(1);
    await ctx.close();
  });

  it('formats idTags: reversed, decimal, prefix; a 10-byte UID; too long for an idTag is ignored', async () => {
    const cases: Array<[Pn532ReaderOptions['idTagFormat'], string, string]> = [
      ['hex-reversed', '04A23B1C', '1C3BA204'],
      ['decimal', '04A23B1C', String(0x04a23b1c)],
      [{ prefix: 'PN' }, '04112233445566', 'PN04112233445566'],
      ['hex', '0102030405060708090A', '0102030405060708090A'],
    ];
    for (const [idTagFormat, uid, idTag] of cases) {
      const { chip, ctx, ready } = start({ idTagFormat });
      await ready;
      chip.placeCard(uid);
      await until(() => ctx.cards.length === 1, `the tap of ${uid}`);
      expect(ctx.cards[0]!.idTag).toBe(idTag);
      await ctx.close();
    }
    const { chip, ctx, events, ready } = start({ idTagFormat: { prefix: 'X-' } });
    await ready;
    chip.placeCard('0102030405060708090A');
    await until(() => events.length === 1, 'the ignored tap');
    expect(events[0]!.outcome).toMatchObject({ result: 'ignored', reason: matching(/longer than 20/) });
    expect(ctx.cards).toHaveLength(0);
    await ctx.close();
  });

  it('I2C errors: re-init with backoff, health error since … reported, recovery reported; never throws', async () => {
    const healthChanges: Pn532ReaderHealth[] = [];
    const { chip, ctx, reader, reports, ready } = start({ onHealthChange: (h) => void healthChanges.push(h) });
    await ready;
    await until(() => reader.health.state === 'ok', 'ready');
    expect(reports).toEqual([{ ok: true, details: { firmware: '1.6' } }]);

    // A glitch that one re-init cures is not a failure.
    const okSince = reader.health.since;
    chip.inject('bus-error');
    await until(() => reader.health.reinitAttempts === 1, 'the re-init');
    await chip.whenPolled(2);
    expect(reader.health.state).toBe('ok');
    expect(reader.health.since).toBe(okSince);
    expect(reports).toHaveLength(1);

    chip.disconnect();
    await until(() => reader.health.state === 'error', 'the error state');
    const failing = reader.health;
    expect(failing.error).toMatchObject({ code: 'PN532_ERR_NO_DEVICE', message: matching(/0x24/) });
    expect(reports[1]).toMatchObject({ ok: false, errorCode: 'ReaderFailure', info: 'PN532: no answer on I2C', vendorErrorCode: 'PN532_ERR_NO_DEVICE' });
    const attempts = failing.reinitAttempts;
    await until(() => reader.health.reinitAttempts >= attempts + 3, 'more re-init attempts');
    expect(reader.health.since).toBe(failing.since); // still failing since the first error
    expect(reports).toHaveLength(2); // reported once, not per attempt

    chip.reconnect(); // comes back as after power-on: asleep, unconfigured
    await until(() => reader.health.state === 'ok', 'the recovery');
    expect(reports[2]).toEqual({ ok: true, details: { firmware: '1.6' } });
    expect(chip.maxRetries[2]).toBe(0x02);
    chip.placeCard('11223344');
    await until(() => ctx.cards.length === 1, 'a tap after the recovery');
    expect(healthChanges.map((h) => h.state)).toEqual(['ok', 'error', 'ok']);
    await ctx.close();
  });

  it('checksum errors and error frames while polling recover without a tap lost', async () => {
    const { chip, ctx, reader, ready } = start();
    await ready;
    await until(() => reader.health.state === 'ok', 'ready');
    chip.inject('corrupt-dcs');
    chip.inject('error-frame');
    chip.inject('nack');
    await until(() => chip.pendingFaults.length === 0, 'the faults to be played');
    chip.placeCard('CAFEF00D');
    await until(() => ctx.cards.length === 1, 'the tap');
    expect(reader.health.state).toBe('ok');
    expect(chip.hostNacks).toBeGreaterThanOrEqual(1);
    await ctx.close();
  });

  it('a reader absent at start keeps retrying and reports the failure (does not fail the start)', async () => {
    const chip = new Pn532Emulator({ address: 0x25 });
    const { ctx, reader, reports, ready } = start({}, chip);
    await ready;
    await until(() => reader.health.state === 'error', 'the error');
    expect(reports[0]).toMatchObject({ ok: false, vendorErrorCode: 'PN532_ERR_NO_DEVICE' });
    chip.address = 0x24;
    await until(() => reader.health.state === 'ok', 'the reader found');
    await ctx.close();
  });

  it('two readers (one per connector, each on its own bus) present to their connectors', async () => {
    const ctx = createReaderTestContext({ presentCard: (card) => ({ result: 'started', connectorId: card.connectorId! }) });
    const chips = [new Pn532Emulator(), new Pn532Emulator()];
    const readers = chips.map((chip, i) =>
      pn532Reader({ i2cBus: chip, name: `pn532-reader-${i + 1}`, connectorId: i + 1, pollIntervalMs: 0, driver: { statusPollMs: 0 } }),
    );
    for (const r of readers) await r.setup(ctx);
    chips[1]!.placeCard('22222222');
    chips[0]!.placeCard('11111111');
    await until(() => ctx.cards.length === 2, 'both taps');
    expect(ctx.cards.map((c) => [c.source, c.connectorId, c.idTag]).sort()).toEqual([
      ['pn532-reader-1', 1, '11111111'],
      ['pn532-reader-2', 2, '22222222'],
    ]);
    await ctx.close();
  });

  it('bad options fail at creation, naming the option', () => {
    expect(() => pn532Reader({ address: 0x100 })).toThrow(/address must be a 7-bit I2C address/);
    expect(() => pn532Reader({ address: 'twenty-four' })).toThrow(/address must be a 7-bit I2C address \("0x24" or 36/);
    expect(pn532Reader({ address: '0x24' }).name).toBe('pn532-reader');
    expect(() => pn532Reader({ connectorId: 0 })).toThrow(/connectorId/);
    expect(() => pn532Reader({ i2cBus: 'one' as never })).toThrow(/i2cBus must be a bus number/);
    expect(() => pn532Reader({ idTagFormat: 'base64' as never })).toThrow(/idTagFormat "base64" is unknown/);
    expect(() => pn532Reader({ pollIntervalMs: -1 })).toThrow(/pollIntervalMs/);
  });
});

describe('pn532Reader without i2c-bus or I2C', () => {
  const ctx = () => createReaderTestContext();

  it('the addon was not built (bindings not found): one line, and how to rebuild', async () => {
    const reader = pn532Reader({
      loadI2cBus: async () => {
        throw new Error('Could not locate the bindings file. Tried:\n → /x/node_modules/i2c-bus/build/i2c.node\n → /x/node_modules/i2c-bus/build/Release/i2c.node');
      },
    });
    const err = await reader.setup(ctx()).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^the i2c-bus native addon cannot be loaded \(Could not locate the bindings file\. Tried:\); .*npm rebuild i2c-bus/);
    expect(err?.message).not.toMatch(/\n/);
    expect((err?.cause as Error).message).toMatch(/build\/Release/);
  });

  it('the addon cannot load: setup fails saying what to install', async () => {
    const reader = pn532Reader({
      i2cBus: 1,
      loadI2cBus: async () => {
        throw new Error("Cannot find module 'i2c-bus'");
      },
    });
    await expect(reader.setup(ctx())).rejects.toMatchObject({
      code: 'PN532_ERR_I2C_UNAVAILABLE',
      message: matching(/i2c-bus native addon cannot be loaded \(Cannot find module 'i2c-bus'\); install it .*npm install i2c-bus.*build-essential/),
    });
  });

  it('no /dev/i2c-1, permission denied, address claimed by a kernel driver: say what to do', async () => {
    // i2c-bus opens the device file at the first transfer: the errors come from there.
    const failing = (code: string) => async () => ({
      openPromisified: async () => {
        const fail = async () => {
          throw Object.assign(new Error(`${code}, open '/dev/i2c-1'`), { code });
        };
        return { i2cRead: fail, i2cWrite: fail, close: async () => {} };
      },
    });
    await expect(pn532Reader({ loadI2cBus: failing('ENOENT') }).setup(ctx())).rejects.toThrow(/\/dev\/i2c-1 does not exist: I2C is not enabled.*raspi-config/);
    await expect(pn532Reader({ loadI2cBus: failing('EACCES') }).setup(ctx())).rejects.toThrow(/permission denied opening \/dev\/i2c-1: add the user .* to the i2c group/);
    await expect(pn532Reader({ loadI2cBus: failing('EBUSY') }).setup(ctx())).rejects.toThrow(/address 0x24 on \/dev\/i2c-1 is claimed by a kernel driver/);
  });

  it('with the real i2c-bus addon where installed: a bus that is not there fails the start clearly', async () => {
    // i2c-bus is an optional dependency: loaded lazily here when installed (CI, the Pi), and when
    // its build failed the start says what to install. This machine has no /dev/i2c-9.
    const installed = await import('i2c-bus' as string).then(
      () => true,
      () => false,
    );
    await expect(pn532Reader({ i2cBus: 9 }).setup(ctx())).rejects.toMatchObject({
      code: 'PN532_ERR_I2C_UNAVAILABLE',
      message: installed ? matching(/\/dev\/i2c-9 does not exist: I2C is not enabled/) : matching(/npm install i2c-bus/),
    });
  });
});
