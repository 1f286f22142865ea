import type { I2cBusLike } from '../driver/i2c-bus-like.js';
import { Pn532Error, Pn532ErrorCode, errnoName, explainAccessError } from '../driver/pn532-error.js';

/** What the reader needs of the `i2c-bus` module. */
export interface I2cBusModule {
  openPromisified(busNumber: number, options?: { forceAccess?: boolean }): Promise<I2cBusLike>;
}

/** Loads the `i2c-bus` module; tests inject one that fails. */
export type I2cBusLoader = () => Promise<I2cBusModule>;

/** The real loader: a dynamic import, so nothing loads the native addon until a reader starts. */
export const importI2cBus: I2cBusLoader = async () => {
  // A variable specifier: bundlers leave it alone and TypeScript does not need i2c-bus's types.
  const specifier = 'i2c-bus';
  const mod = (await import(specifier)) as { default?: I2cBusModule } & Partial<I2cBusModule>;
  const api = (mod.default ?? mod) as Partial<I2cBusModule>;
  if (typeof api.openPromisified !== 'function') throw new Error('the loaded i2c-bus module has no openPromisified() (i2c-bus 5 or later is needed)');
  return api as I2cBusModule;
};

export const I2C_BUS_INSTALL_HINT =
  'install it where charge-it-edge runs: "npm install i2c-bus" (a native addon built by node-gyp; on Raspberry Pi OS first "sudo apt install build-essential python3"; after a Node.js upgrade "npm rebuild i2c-bus"). ' +
  'Without it, remove the PN532 plugin from edge.json: the rest of the charge point runs without it.';

/**
 * Loads i2c-bus and opens bus `busNumber`. Throws Pn532Error I2C_UNAVAILABLE with what to do when
 * the addon is missing (what to install). i2c-bus opens /dev/i2c-N only at the first transfer, so
 * "no device file" and "permission denied" come from the driver's first command (same code).
 */
export async function openI2cBus(busNumber: number, load: I2cBusLoader = importI2cBus): Promise<I2cBusLike> {
  if (!Number.isInteger(busNumber) || busNumber < 0) {
    throw new Pn532Error(Pn532ErrorCode.I2C_UNAVAILABLE, `I2C bus ${JSON.stringify(busNumber)} is not a bus number; the Raspberry Pi's header pins 3 and 5 are bus 1`);
  }
  let mod: I2cBusModule;
  try {
    mod = await load();
  } catch (err) {
    // The first line is enough ("Cannot find package 'i2c-bus'", "Could not locate the bindings file. Tried: ..."); the cause keeps the rest.
    const reason = String((err as Error)?.message ?? err).split('\n')[0];
    throw new Pn532Error(Pn532ErrorCode.I2C_UNAVAILABLE, `the i2c-bus native addon cannot be loaded (${reason}); ${I2C_BUS_INSTALL_HINT}`, {
      cause: err,
    });
  }
  try {
    return await mod.openPromisified(busNumber);
  } catch (err) {
    throw explainOpenError(err, busNumber);
  }
}

export function explainOpenError(err: unknown, busNumber: number): Pn532Error {
  const device = `/dev/i2c-${busNumber}`;
  return (
    explainAccessError(err, device) ??
    new Pn532Error(Pn532ErrorCode.I2C_UNAVAILABLE, `cannot open ${device}: ${(err as Error)?.message ?? String(err)}`, { cause: err, details: { errno: errnoName(err), device } })
  );
}
