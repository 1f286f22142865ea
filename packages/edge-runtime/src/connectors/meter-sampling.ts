import type { EventEmitter } from 'node:events';
import type { HookRunner, Logger } from '@charge-it/core/kernel';
import type { ConfigurationStore } from '../config-keys/configuration-store.js';
import type { MeterDriver, MeterReading } from '../meter/meter-driver.js';
import type { BootStateMachine } from '../ocpp/boot-state-machine.js';
import type { Clock } from '../ocpp/clock.js';
import type { MeterValue, MeterValuesRequest, ReadingContext } from '../ocpp/ocpp-types.js';
import type { Outbox } from '../ocpp/outbox.js';
import type { EdgeHooks } from '../plugins/edge-hooks.js';
import type { ChargePointEvents } from './charge-point-events.js';
import type { ActiveTransaction, Connector } from './connector.js';
import { buildSampledValues } from './sampled-values.js';

/** What meter sampling needs from the charge point (the controller supplies it). */
export interface MeterSamplingDeps {
  identity: string;
  /** The meter of connector i + 1 at index i. */
  meters: MeterDriver[];
  config: ConfigurationStore;
  session: BootStateMachine;
  outbox: Outbox;
  hooks: HookRunner<EdgeHooks>;
  clock: Clock;
  log: Logger;
  voltageV: number;
  events: EventEmitter<ChargePointEvents>;
  outlets(): Connector[];
  connector(id: number): Connector | undefined;
  refreshStatus(c: Connector): void;
  applyLimits(): void;
  save(): void;
  closed(): boolean;
  transactionIdOf(tx: ActiveTransaction): number | undefined;
}

/** StopTransaction.transactionData keeps at most this many MeterValues (memory on a Pi). */
export const MAX_STOP_TXN_DATA = 48;

/**
 * Meter reads and MeterValues: the periodic samples of a transaction (MeterValueSampleInterval),
 * clock-aligned data (ClockAlignedDataInterval), the copies kept for StopTransaction.transactionData,
 * and TriggerMessage(MeterValues). Emits 'sample' on `deps.events`.
 */
export class MeterSampling {
  readonly #d: MeterSamplingDeps;
  readonly #lastReading = new Map<number, MeterReading>();
  readonly #lastIntervalEnergy = new Map<number, number>();
  #alignedTimer: NodeJS.Timeout | undefined;

  constructor(deps: MeterSamplingDeps) {
    this.#d = deps;
  }

  /** The energy register at the start of the current sampling interval (Energy.Active.Import.Interval). */
  setIntervalStart(connectorId: number, energyWh: number): void {
    this.#lastIntervalEnergy.set(connectorId, energyWh);
  }

  close(): void {
    clearTimeout(this.#alignedTimer);
  }

  async read(c: Connector): Promise<MeterReading | undefined> {
    const meter = this.#d.meters[c.id - 1];
    if (!meter) return undefined;
    try {
      const r = await meter.read();
      this.#lastReading.set(c.id, r);
      if (c.errorCode === 'PowerMeterFailure') {
        c.errorCode = 'NoError';
        this.#d.refreshStatus(c);
      }
      return r;
    } catch (err) {
      this.#d.log.warn({ connectorId: c.id, err: String((err as Error)?.message ?? err) }, 'meter read failed');
      return this.#lastReading.get(c.id);
    }
  }

  sample(c: Connector, reading: MeterReading, measurands: readonly string[], context: ReadingContext, previousEnergyWh?: number, timestamp?: string): MeterValue | undefined {
    const sampledValue = buildSampledValues(reading, measurands, context, {
      limitW: c.limitW,
      voltageV: this.#d.voltageV,
      ...(previousEnergyWh !== undefined ? { previousEnergyWh } : {}),
    });
    if (sampledValue.length === 0) return undefined;
    return { timestamp: timestamp ?? this.#d.clock.iso(), sampledValue };
  }

  scheduleSampling(c: Connector): void {
    clearInterval(c.samplingTimer);
    c.samplingTimer = undefined;
    const intervalS = this.#d.config.int('MeterValueSampleInterval');
    if (!c.transaction || intervalS <= 0 || this.#d.closed()) return;
    c.samplingTimer = setInterval(() => void this.#periodicSample(c), intervalS * 1000);
  }

  async #periodicSample(c: Connector): Promise<void> {
    const tx = c.transaction;
    if (!tx) return;
    const reading = await this.read(c);
    if (!reading || c.transaction !== tx) return;
    this.#d.applyLimits();
    // One reading, one timestamp: the MeterValues sample and its copy in StopTransaction.transactionData
    // are the same reading, and the central system recognises the copy by it.
    const at = this.#d.clock.iso();
    const mv = this.sample(c, reading, this.#d.config.csl('MeterValuesSampledData'), 'Sample.Periodic', this.#lastIntervalEnergy.get(c.id), at);
    this.#lastIntervalEnergy.set(c.id, reading.energyWh);
    if (mv) this.#d.outbox.enqueue('MeterValues', { connectorId: c.id, meterValue: [mv] }, tx.txLocal);
    const forStop = this.sample(c, reading, this.#d.config.csl('StopTxnSampledData'), 'Sample.Periodic', undefined, at);
    if (forStop) {
      tx.stopTxnData.push(forStop);
      if (tx.stopTxnData.length > MAX_STOP_TXN_DATA) tx.stopTxnData.splice(1, 1); // keep the Begin sample
      this.#d.save();
    }
    this.#observeSample(c, reading, tx.txLocal);
  }

  #observeSample(c: Connector, reading: MeterReading, txLocal?: string): void {
    this.#d.hooks.observe(
      'onMeterSample',
      { connectorId: c.id, reading, ...(txLocal ? { txLocal } : {}), limitW: c.limitW, timestamp: this.#d.clock.iso() },
      this.#d.identity,
    );
    this.#d.events.emit('sample', { connectorId: c.id, reading, limitW: c.limitW });
  }

  scheduleAligned(): void {
    clearTimeout(this.#alignedTimer);
    const intervalS = this.#d.config.int('ClockAlignedDataInterval');
    if (intervalS <= 0 || this.#d.closed()) return;
    const now = this.#d.clock.now();
    const midnight = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
    const next = midnight + Math.ceil((now - midnight + 1) / (intervalS * 1000)) * intervalS * 1000;
    this.#alignedTimer = setTimeout(() => {
      void this.#alignedSample().finally(() => this.scheduleAligned());
    }, next - now);
  }

  async #alignedSample(): Promise<void> {
    const measurands = this.#d.config.csl('MeterValuesAlignedData');
    const stopMeasurands = this.#d.config.csl('StopTxnAlignedData');
    for (const c of this.#d.outlets()) {
      const reading = await this.read(c);
      if (!reading) continue;
      const at = this.#d.clock.iso();
      const mv = this.sample(c, reading, measurands, 'Sample.Clock', undefined, at);
      const tx = c.transaction;
      if (mv) this.#d.outbox.enqueue('MeterValues', { connectorId: c.id, meterValue: [mv] }, tx?.txLocal);
      if (tx) {
        const forStop = this.sample(c, reading, stopMeasurands, 'Sample.Clock', undefined, at);
        if (forStop) {
          tx.stopTxnData.push(forStop);
          if (tx.stopTxnData.length > MAX_STOP_TXN_DATA) tx.stopTxnData.splice(1, 1);
        }
      }
    }
  }

  /** TriggerMessage(MeterValues): a Trigger sample now, sent directly (not transaction-queued). */
  async triggerMeterValues(connectorId?: number): Promise<void> {
    const targets = connectorId === undefined || connectorId === 0 ? this.#d.outlets() : [this.#d.connector(connectorId)].filter((c): c is Connector => !!c);
    for (const c of targets) {
      const reading = await this.read(c);
      if (!reading) continue;
      const mv = this.sample(c, reading, this.#d.config.csl('MeterValuesSampledData'), 'Trigger');
      if (!mv) continue;
      const payload: MeterValuesRequest = { connectorId: c.id, meterValue: [mv] };
      const txId = c.transaction ? this.#d.transactionIdOf(c.transaction) : undefined;
      if (txId !== undefined) payload.transactionId = txId;
      await this.#d.session.send('MeterValues', { ...payload }, { triggered: true }).catch((err: unknown) => this.#d.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'triggered MeterValues failed'));
    }
  }
}
