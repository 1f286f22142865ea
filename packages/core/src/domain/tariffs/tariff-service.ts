import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import { MeterSampleSchema, TransactionSchema, type Transaction } from '../../persistence/entities/index.js';
import { ENERGY_REGISTER } from '../meter-values/normalise-sampled-value.js';
import type { SettingsService, TariffSettings } from '../settings/settings-service.js';
import { computeCost, type Cost, type CostBreakdown } from './compute-cost.js';
import { costOfTransaction } from './transaction-cost.js';

export interface TariffServiceDeps {
  orm: MikroORM;
  /** Moves the samples still in the inbox into meter_sample (before a running session's register is read). */
  samples: { settle(): Promise<void> };
  settings: Pick<SettingsService, 'get'>;
  clock: Clock;
}

/** What a hypothetical session would cost (price lists, the driver page before plugging in). */
export interface QuoteInput {
  energyWh: number;
  /** Length of the whole session in minutes (default 0). */
  minutes?: number;
  /** Of those minutes, how many the car stays plugged in after charging ended, grace included (default 0). */
  idleMinutes?: number;
  /** Price with this tariff instead of the current one. */
  tariff?: TariffSettings;
}

/** The cost of one transaction: live (running) or final (stopped). */
export interface TransactionCost extends Cost {
  transactionId: number;
  chargePointId: string;
  status: Transaction['status'];
  /** True when this is the cost stored at StopTransaction; false for a live estimate. */
  final: boolean;
  /** Energy priced, Wh. */
  energyWh: number;
  /** The end of the priced period (stop timestamp, or now for a running transaction). */
  at: Date;
}

/**
 * Prices: the current tariff, quotes, and the cost of a transaction — live while it runs (from
 * its latest energy register sample, or meterStart, up to now) and final once it stopped (as stored
 * on the transaction by StopTransaction). Read-only: the final cost is written by the
 * TransactionService inside the stop's own database work.
 */
export class TariffService {
  readonly #deps: TariffServiceDeps;

  constructor(deps: TariffServiceDeps) {
    this.#deps = deps;
  }

  /** The tariff new sessions start with (settings key 'tariff'; change it with `settings.set('tariff', ...)`). */
  current(): Promise<TariffSettings> {
    return this.#deps.settings.get('tariff');
  }

  async quote(input: QuoteInput): Promise<Cost> {
    const problems: Record<string, string> = {};
    const check = (name: string, v: unknown) => {
      if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) problems[name] = 'must be a number ≥ 0';
    };
    check('energyWh', input.energyWh);
    check('minutes', input.minutes ?? 0);
    check('idleMinutes', input.idleMinutes ?? 0);
    const minutes = input.minutes ?? 0;
    const idleMinutes = input.idleMinutes ?? 0;
    if (!problems.minutes && !problems.idleMinutes && idleMinutes > minutes) problems.idleMinutes = 'must not be more than minutes';
    if (Object.keys(problems).length > 0) {
      throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `invalid quote: ${Object.entries(problems).map(([f, p]) => `${f} ${p}`).join('; ')}`, {
        details: { fields: problems },
      });
    }
    const tariff = input.tariff ?? (await this.current());
    const startedAt = new Date(0);
    const endedAt = new Date(Math.round(minutes * 60_000));
    const chargingEndedAt = idleMinutes > 0 ? new Date(endedAt.getTime() - Math.round(idleMinutes * 60_000)) : null;
    return computeCost({ tariff, energyWh: input.energyWh, startedAt, endedAt, chargingEndedAt });
  }

  /**
   * The cost of a transaction now. Running: energy from the latest energy register sample (or
   * meterStart), time up to the clock's now, idle from the connector's status. Stopped: the cost
   * stored at StopTransaction. `chargePointId` scopes the lookup (a transaction of another charge
   * point is "not found"). Throws NOT_FOUND for an unknown transaction.
   */
  async liveCost(transactionId: number, options: { chargePointId?: string } = {}): Promise<TransactionCost> {
    const em = this.#deps.orm.em.fork() as EntityManager;
    const where = options.chargePointId === undefined ? { id: transactionId } : { id: transactionId, chargePoint: options.chargePointId };
    const tx = Number.isInteger(transactionId) ? await em.findOne(TransactionSchema, where) : null;
    if (!tx) {
      throw new CsmsError(
        CsmsErrorCode.NOT_FOUND,
        `transaction ${transactionId} not found${options.chargePointId === undefined ? '' : ` on charge point ${options.chargePointId}`}; list transactions to find its id`,
        { details: { transactionId, ...(options.chargePointId === undefined ? {} : { chargePointId: options.chargePointId }) } },
      );
    }
    const base = { transactionId: tx.id, chargePointId: tx.chargePoint, status: tx.status };

    if (tx.status === 'Completed' && tx.cost != null && tx.costBreakdown && typeof tx.costBreakdown.total === 'number') {
      const b = tx.costBreakdown as unknown as CostBreakdown;
      return { ...base, final: true, energyWh: b.energyWh, at: tx.stopTimestamp ?? new Date(b.endedAt), energy: b.energy, time: b.time, idle: b.idle, net: b.net, tax: b.tax, total: b.total, breakdown: b };
    }

    const currentTariff = await this.current();
    let cost: Cost;
    let at: Date;
    if (tx.status === 'Completed') {
      // Stopped before costs were recorded: priced now from its stop data, not stored.
      const receivedAt = tx.stopReceivedAt ?? tx.startReceivedAt;
      at = tx.stopTimestamp ?? tx.startTimestamp;
      cost = await costOfTransaction(em, tx, { currentTariff, energyWh: tx.energyWh ?? 0, end: { at, receivedAt }, receivedTo: receivedAt });
    } else {
      const energyWh = Math.max(0, (await this.#latestRegister(em, tx)) - tx.meterStart);
      at = this.#deps.clock.now();
      // Every status received so far (receive times are the server's wall clock, not `clock`).
      cost = await costOfTransaction(em, tx, { currentTariff, energyWh, end: { at, receivedAt: at } });
    }
    return { ...base, final: false, energyWh: cost.breakdown.energyWh, at, ...cost };
  }

  /** The latest energy register reading (Wh) of a running transaction, or its meterStart. */
  async #latestRegister(em: EntityManager, tx: Transaction): Promise<number> {
    await this.#deps.samples.settle();
    const latest = await em.findOne(
      MeterSampleSchema,
      { transaction: tx.id, measurand: ENERGY_REGISTER, phase: null, unit: 'Wh', value: { $ne: null } },
      { orderBy: { timestamp: 'desc', id: 'desc' } },
    );
    return latest?.value == null ? tx.meterStart : Number(latest.value);
  }
}
