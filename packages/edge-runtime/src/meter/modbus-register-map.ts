/** How a value is laid out in Modbus registers (16-bit words). */
export type ModbusDataType = 'float32' | 'uint32' | 'int32' | 'uint16' | 'int16';

/**
 * Order of the two words of a 32-bit value. 'big' = high word first (Modbus convention, Eastron);
 * 'little' = low word first ("word-swapped", common on some PLCs and meters). Bytes inside a word
 * are always big-endian, as Modbus defines.
 */
export type ModbusWordOrder = 'big' | 'little';

/** Unit the meter reports in; values are converted to Wh, W, A, V, Hz, Celsius, percent. */
export type ModbusUnit = 'Wh' | 'kWh' | 'W' | 'kW' | 'A' | 'mA' | 'V' | 'Hz' | 'Celsius' | 'Percent';

export interface ModbusRegister {
  /** Zero-based protocol address (30001 in a manual is address 0). */
  address: number;
  /** Read with function 04 (input, default) or 03 (holding). */
  function?: 'input' | 'holding';
  /** Default float32. */
  type?: ModbusDataType;
  /** Default 'big'. */
  wordOrder?: ModbusWordOrder;
  /** Multiplied before unit conversion, e.g. 0.01 for a value in hundredths. Default 1. */
  scale?: number;
  /** Unit of the raw value after scaling; default is the target unit of the field. */
  unit?: ModbusUnit;
}

/** Which registers hold which measurand. Only `energy` is required. */
export interface ModbusRegisterMap {
  /** Energy.Active.Import.Register */
  energy: ModbusRegister;
  power?: ModbusRegister;
  /** L1, L2, L3 (one entry for a single-phase meter). */
  current?: ModbusRegister[];
  voltage?: ModbusRegister[];
  frequency?: ModbusRegister;
  temperature?: ModbusRegister;
  soc?: ModbusRegister;
}
