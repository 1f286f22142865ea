import { join } from 'node:path';
import { createChargePoint, type ChargePointHandle, type Logger } from '@charge-it/edge-runtime';
import { pn532Reader, type Pn532CardEvent } from '@charge-it/plugin-rfid-pn532';
import { Pn532Emulator } from '@charge-it/plugin-rfid-pn532/testing';

export interface Pn532ChargePointOptions {
  /** Central system URL without the identity (`ws://127.0.0.1:9000/ocpp`). */
  csmsUrl: string;
  identity: string;
  /** State of the charge point (outbox, configuration); kept across restarts. */
  dataDir: string;
  log: Logger;
  /** PEM CA for a `wss://` central system with a self-signed certificate. */
  caFile?: string;
  /** MeterValueSampleInterval in seconds (default 10). */
  meterIntervalS?: number;
  /** Called after the runtime decided about each tap. */
  onCard?: (event: Pn532CardEvent) => void;
}

export interface Pn532ChargePoint {
  readonly handle: ChargePointHandle;
  /** The emulated PN532 on the emulated I2C bus the reader polls. */
  readonly chip: Pn532Emulator;
  /** Holds a card in the field until the reader has read it, then takes it away (one tap). */
  tap(uid: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A charge point as the station's Raspberry Pi runs it (`examples/spklu/pi/edge.json`): the edge
 * runtime, one plain outlet (`cable: "always"`, a tap starts charging at once), a simulated meter,
 * and the PN532 reader plugin polling a byte-level PN532 emulator instead of `/dev/i2c-1`.
 */
export async function startPn532ChargePoint(options: Pn532ChargePointOptions): Promise<Pn532ChargePoint> {
  const chip = new Pn532Emulator({ asleep: true });
  const reader = pn532Reader({
    i2cBus: chip,
    connectorId: 1,
    pollIntervalMs: 50,
    ...(options.onCard ? { onCardPresented: options.onCard } : {}),
  });
  const handle = await createChargePoint(
    {
      identity: options.identity,
      csmsUrl: options.csmsUrl,
      dataDir: join(options.dataDir, options.identity),
      connectors: [{ maxPowerW: 7400, cable: 'always' }],
      boot: { chargePointVendor: 'Charge-IT', chargePointModel: 'Pi-PN532 (demo)', chargePointSerialNumber: options.identity },
      reconnect: { initialDelayMs: 500, maxDelayMs: 10_000 },
      ocppConfig: { MeterValueSampleInterval: options.meterIntervalS ?? 10 },
      ...(options.caFile ? { caFile: options.caFile } : {}),
    },
    { plugins: [reader], log: options.log },
  );
  await handle.start();
  return {
    handle,
    chip,
    async tap(uid: string) {
      chip.placeCard(uid);
      await chip.whenPolled(2);
      chip.removeCard();
      await chip.whenPolled(3); // away for longer than removalPolls: the next tap is a new one
    },
    stop: () => handle.stop({ graceful: true }),
  };
}
