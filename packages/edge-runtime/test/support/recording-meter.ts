import type { MeterDriver, MeterReading } from '../../src/meter/meter-driver.js';

/**
 * Wraps a meter driver and records every reading the runtime took, so that a test can check that
 * what the central system stored (meterStart, meterStop, register samples) is what the charge
 * point really read from the meter.
 */
export class RecordingMeter implements MeterDriver {
  readonly kind: string;
  readonly readings: MeterReading[] = [];
  readonly #inner: MeterDriver;

  constructor(inner: MeterDriver) {
    this.#inner = inner;
    this.kind = inner.kind;
  }

  /** Every register value (whole Wh, as the runtime reports it) read so far. */
  get registersWh(): Set<number> {
    return new Set(this.readings.map((r) => Math.round(r.energyWh)));
  }

  open(): Promise<void> {
    return this.#inner.open();
  }

  async read(): Promise<MeterReading> {
    const reading = await this.#inner.read();
    this.readings.push(reading);
    return reading;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  setDemand(demand: { charging: boolean; limitW: number | null }): void {
    this.#inner.setDemand?.(demand);
  }
}
