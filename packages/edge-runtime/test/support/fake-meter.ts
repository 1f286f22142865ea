import type { MeterDriver, MeterReading } from '../../src/meter/meter-driver.js';

/** A meter the test controls: set the register and power; records the demand the runtime applies. */
export class FakeMeter implements MeterDriver {
  readonly kind = 'fake';
  energyWh: number;
  powerW = 0;
  voltageV: number[] | undefined = [230, 231, 229];
  currentA: number[] | undefined = [0, 0, 0];
  failReads = false;
  readonly demands: Array<{ charging: boolean; limitW: number | null }> = [];
  opened = false;

  constructor(startWh = 10_000) {
    this.energyWh = startWh;
  }

  get lastDemand(): { charging: boolean; limitW: number | null } | undefined {
    return this.demands[this.demands.length - 1];
  }

  async open(): Promise<void> {
    this.opened = true;
  }

  async read(): Promise<MeterReading> {
    if (this.failReads) throw new Error('fake meter: read failure');
    return {
      energyWh: this.energyWh,
      powerW: this.powerW,
      ...(this.currentA ? { currentA: this.currentA } : {}),
      ...(this.voltageV ? { voltageV: this.voltageV } : {}),
    };
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  setDemand(demand: { charging: boolean; limitW: number | null }): void {
    this.demands.push(demand);
  }
}
