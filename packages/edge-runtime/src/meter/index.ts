export type {
  MeterReading,
  MeterDriver,
  MeterConfig,
  MeterDriverDeps,
  SimulatedMeterConfig,
  ModbusTcpMeterConfig,
  ModbusRtuMeterConfig,
  ModbusPresetName,
  PowerCurvePoint,
} from './meter-driver.js';
export type { ModbusRegisterMap, ModbusRegister, ModbusDataType, ModbusWordOrder, ModbusUnit } from './modbus-register-map.js';
export { createMeterDriver } from './create-meter-driver.js';
export { SimulatedMeter } from './simulated-meter.js';
export { ModbusMeter } from './modbus-meter.js';
export { modbusPresets } from './modbus-presets.js';
export { decodeRegister, encodeRegister, registerCount } from './decode-register.js';
export { MeterError, MeterErrorCode, isMeterError } from './meter-error.js';
