import { CsmsError, CsmsErrorCode } from '@charge-it/core/kernel';
import type { MeterConfig, MeterDriver, MeterDriverDeps } from './meter-driver.js';
import { ModbusMeter } from './modbus-meter.js';
import { SimulatedMeter } from './simulated-meter.js';

/** Builds the driver for one connector's meter; a bad config throws CsmsError CONFIG_INVALID. */
export function createMeterDriver(config: MeterConfig, deps: MeterDriverDeps): MeterDriver {
  switch (config?.kind) {
    case 'simulated':
      return new SimulatedMeter(config, deps);
    case 'modbus-tcp':
    case 'modbus-rtu':
      return new ModbusMeter(config, deps);
    default:
      throw new CsmsError(
        CsmsErrorCode.CONFIG_INVALID,
        `meter kind ${JSON.stringify((config as { kind?: unknown } | undefined)?.kind)} is unknown; use "simulated", "modbus-tcp" or "modbus-rtu"`,
      );
  }
}
