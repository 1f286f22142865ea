import type { ModbusPresetName } from './meter-driver.js';
import type { ModbusRegister, ModbusRegisterMap } from './modbus-register-map.js';

/** Eastron registers are float32, high word first, read with function 04. */
const eastron = (address: number, unit: ModbusRegister['unit']): ModbusRegister => ({
  address,
  function: 'input',
  type: 'float32',
  wordOrder: 'big',
  unit,
});

/**
 * Register maps of common DIN-rail meters, from Eastron's published input-register tables
 * (30001 = address 0x0000). Energy uses "Total import active energy" (30073, 0x0048), not "Total
 * active energy" (30343, 0x0156): the latter is import + export, so it would grow when a
 * bidirectional installation exports and is not Energy.Active.Import.Register.
 */
export const modbusPresets: Readonly<Record<ModbusPresetName, ModbusRegisterMap>> = Object.freeze({
  /** Eastron SDM630 (three phase). */
  sdm630: {
    energy: eastron(0x0048, 'kWh'),
    power: eastron(0x0034, 'W'), // 30053 Total system power
    voltage: [eastron(0x0000, 'V'), eastron(0x0002, 'V'), eastron(0x0004, 'V')],
    current: [eastron(0x0006, 'A'), eastron(0x0008, 'A'), eastron(0x000a, 'A')],
    frequency: eastron(0x0046, 'Hz'),
  },
  /** Eastron SDM120 / SDM220 / SDM230 (single phase). */
  sdm120: {
    energy: eastron(0x0048, 'kWh'),
    power: eastron(0x000c, 'W'), // 30013 Active power
    voltage: [eastron(0x0000, 'V')],
    current: [eastron(0x0006, 'A')],
    frequency: eastron(0x0046, 'Hz'),
  },
});
