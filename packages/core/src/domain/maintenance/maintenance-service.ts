import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import { CsmsErrorCode, isCsmsError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type { CommandService } from '../../ocpp/commands.js';
import type { ChargePointConnection as ChargePointSession, Sessions } from '../../ocpp/sessions.js';
import { AuditLogSchema } from '../../persistence/entities/index.js';
import type { SettingsService } from '../settings/settings-service.js';

export type Availability = 'Inoperative' | 'Operative';

/** The charger's answer, or why there was none. */
export type MaintenanceOutcomeKind = 'Accepted' | 'Scheduled' | 'Rejected' | 'offline' | 'timeout' | 'call-error' | 'not-allowed' | 'error';

export interface MaintenanceOutcome {
  chargePointId: string;
  requested: Availability;
  outcome: MaintenanceOutcomeKind;
  /** What made us send it: the setting changed, or the charge point booted / reconnected. */
  trigger: 'setting' | 'boot' | 'reconnect';
  at: Date;
}

export interface MaintenanceStatus {
  enabled: boolean;
  /** The last outcome per charge point since the CSMS started, by charge point id. */
  chargePoints: MaintenanceOutcome[];
}

export interface MaintenanceServiceDeps {
  orm: MikroORM;
  settings: SettingsService;
  commands: CommandService;
  sessions: Sessions;
  clock: Clock;
  log: Logger;
}

const ACTOR = 'system:maintenance';

/**
 * Maintenance mode: while `settings.maintenanceMode` is on, every charge point is made
 * Inoperative with ChangeAvailability on connector 0, which the spec defines as the whole charge
 * point and all its connectors (S16 §5.2) — one call per charger, and connectors the CSMS has
 * not seen yet are covered too. Switching it off makes every connected charge point Operative.
 *
 * A charge point that connects or boots while it is on is made Inoperative too; one that comes
 * back after it was switched off, and that we had made Inoperative (the last ChangeAvailability
 * we got through to it, from the audit log), is made Operative again, so that a charger offline
 * at switch-off does not stay unavailable for good (availability survives reboots, S16 §4.2).
 *
 * `Scheduled` (a transaction is running: the change applies when it ends) counts as delivered.
 * Refusals and failures are logged and recorded; the next boot or reconnect tries again.
 * Operations run one at a time so that a quick on → off reaches every charger in that order.
 */
export class MaintenanceService {
  readonly #deps: MaintenanceServiceDeps;
  readonly #log: Logger;
  readonly #outcomes = new Map<string, MaintenanceOutcome>();
  /** What each charge point last accepted from us (loaded from the audit log once). */
  #delivered: Map<string, Availability> | undefined;
  /** Sessions that already accepted the current Inoperative (no second call at boot after connect). */
  readonly #sessionGot = new WeakMap<ChargePointSession, Availability>();
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(deps: MaintenanceServiceDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'maintenance' });
  }

  /** Sends the availability that matches `enabled` to every connected, Accepted charge point. */
  apply(enabled: boolean): Promise<void> {
    return this.#enqueue(async () => {
      const type: Availability = enabled ? 'Inoperative' : 'Operative';
      const targets = this.#deps.sessions.all().filter((s) => s.registrationStatus === 'Accepted');
      this.#log.info({ type, chargePoints: targets.length }, `maintenance mode ${enabled ? 'on' : 'off'}`);
      await Promise.all(targets.map((s) => this.#send(s, type, 'setting')));
    });
  }

  /** A charge point booted (Accepted) or reconnected: bring it in line with the setting. */
  chargePointReady(chargePointId: string, trigger: 'boot' | 'reconnect'): Promise<void> {
    return this.#enqueue(async () => {
      const session = this.#deps.sessions.get(chargePointId);
      if (!session || session.registrationStatus !== 'Accepted') return;
      if (await this.#deps.settings.get('maintenanceMode')) {
        if (this.#sessionGot.get(session) !== 'Inoperative') await this.#send(session, 'Inoperative', trigger);
      } else if ((await this.#deliveredMap()).get(chargePointId) === 'Inoperative') {
        await this.#send(session, 'Operative', trigger);
      }
    });
  }

  async status(): Promise<MaintenanceStatus> {
    return {
      enabled: await this.#deps.settings.get('maintenanceMode'),
      chargePoints: [...this.#outcomes.values()].sort((a, b) => a.chargePointId.localeCompare(b.chargePointId)),
    };
  }

  /** Resolves when every queued operation has finished. */
  async settled(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.#queue;
      await current;
    } while (current !== this.#queue);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.settled();
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const next = this.#queue.then(work).catch((err: unknown) => this.#log.error({ err }, 'maintenance mode operation failed'));
    this.#queue = next;
    return next;
  }

  async #send(session: ChargePointSession, type: Availability, trigger: MaintenanceOutcome['trigger']): Promise<void> {
    const chargePointId = session.chargePointId;
    let outcome: MaintenanceOutcomeKind;
    try {
      const { status } = await this.#deps.commands.send(chargePointId, 'ChangeAvailability', { connectorId: 0, type }, { actor: ACTOR });
      outcome = status;
    } catch (err) {
      outcome = isCsmsError(err, CsmsErrorCode.CHARGE_POINT_OFFLINE)
        ? 'offline'
        : isCsmsError(err, CsmsErrorCode.CALL_TIMEOUT)
          ? 'timeout'
          : isCsmsError(err, CsmsErrorCode.CALL_ERROR)
            ? 'call-error'
            : isCsmsError(err, CsmsErrorCode.CALL_NOT_ALLOWED)
              ? 'not-allowed'
              : 'error';
      this.#log.warn({ chargePointId, type, outcome, err }, 'ChangeAvailability for maintenance mode failed; sent again when the charge point reconnects or boots');
    }
    this.#outcomes.set(chargePointId, { chargePointId, requested: type, outcome, trigger, at: this.#deps.clock.now() });
    if (outcome === 'Accepted' || outcome === 'Scheduled') {
      this.#sessionGot.set(session, type);
      (await this.#deliveredMap()).set(chargePointId, type);
      if (outcome === 'Scheduled') this.#log.info({ chargePointId, type }, 'ChangeAvailability scheduled: applies when the running transaction ends');
    } else if (outcome === 'Rejected') {
      this.#log.warn({ chargePointId, type }, 'charge point rejected ChangeAvailability for maintenance mode');
    }
  }

  async #deliveredMap(): Promise<Map<string, Availability>> {
    if (!this.#delivered) {
      const rows = await this.#deps.orm.em.fork().find(
        AuditLogSchema,
        { actor: ACTOR, action: 'ChangeAvailability', outcome: { $in: ['accepted', 'scheduled'] } },
        { orderBy: { id: 'asc' } },
      );
      // Another operation may have filled it while we read.
      if (!this.#delivered) {
        this.#delivered = new Map();
        for (const row of rows) {
          const type = (row.request as { type?: Availability } | null)?.type;
          if (row.chargePoint && type) this.#delivered.set(row.chargePoint, type);
        }
      }
    }
    return this.#delivered;
  }
}
