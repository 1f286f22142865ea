/**
 * Operators' charging profiles (TC_056/057/066/067): SetChargingProfile, ClearChargingProfile and
 * GetCompositeSchedule sent on an operator's behalf, checked against the rules of site load
 * management and stored in the ChargingProfile table. Load management's own profiles are sent by
 * its reconciler (LoadManagementService), which is told when an operator cleared one of them.
 */
import type { MikroORM } from '@mikro-orm/core';
import { CsmsError, CsmsErrorCode, isCsmsError } from '../../kernel/errors.js';
import type { CommandService } from '../../ocpp/commands.js';
import type { CentralSystemActions, ChargingProfile, ChargingProfilePurpose } from '../../ocpp/v16/central-system-messages.js';
import { ChargingProfileSchema, TransactionSchema, type ChargingProfile as ChargingProfileRow, type ChargingScheduleJson } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import type { SettingsService } from '../settings/settings-service.js';
import { isLoadManagementProfileId, LOAD_MANAGEMENT_ID_BASE, LOAD_MANAGEMENT_STACK_LEVEL } from './load-management-profiles.js';

/** A row of the ChargingProfile table, as the service API returns it. */
export interface StoredChargingProfile {
  id: number;
  chargePointId: string | null;
  connectorId: number;
  chargingProfileId: number;
  stackLevel: number;
  purpose: ChargingProfilePurpose;
  kind: ChargingProfile['chargingProfileKind'];
  recurrencyKind: 'Daily' | 'Weekly' | null;
  validFrom: Date | null;
  validTo: Date | null;
  transactionId: number | null;
  schedule: ChargingScheduleJson;
  status: string;
  createdAt: Date;
  /** True for the profiles site load management owns (ids ≥ 1,000,000,000). */
  loadManagement: boolean;
}

export type ClearChargingProfileFilter = CentralSystemActions['ClearChargingProfile']['request'];

export interface ChargingProfileCommandsDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  commands: CommandService;
  settings: SettingsService;
}

export class ChargingProfileCommands {
  readonly #deps: ChargingProfileCommandsDeps;
  readonly #onLoadManagementCleared: (chargePointId: string) => void;

  /** `onLoadManagementCleared` runs when an operator's ClearChargingProfile removed load management's own profiles. */
  constructor(deps: ChargingProfileCommandsDeps, onLoadManagementCleared: (chargePointId: string) => void) {
    this.#deps = deps;
    this.#onLoadManagementCleared = onLoadManagementCleared;
  }

  /**
   * Sends an operator's charging profile (TC_056 TxDefaultProfile, TC_057 TxProfile) and stores
   * it with the charger's answer. Rules checked first (CsmsError COMMAND_INVALID or
   * CALL_NOT_ALLOWED): ids ≥ 1,000,000,000 belong to load management; ChargePointMaxProfile goes to
   * connector 0; a TxProfile needs a transaction running on that connector (its transactionId is
   * filled in when missing, and must match when given); while load management is on, stack level
   * 0 is its own. Command failures (offline, timeout, CALLERROR) are thrown as CsmsErrors; a
   * timed-out profile is stored as Pending (the charger may have applied it).
   */
  async setChargingProfile(
    chargePointId: string,
    connectorId: number,
    profile: ChargingProfile,
    actor = 'system',
  ): Promise<{ status: 'Accepted' | 'Rejected' | 'NotSupported'; profile: StoredChargingProfile }> {
    const invalid = (message: string, code: CsmsErrorCode = CsmsErrorCode.COMMAND_INVALID): never => {
      throw new CsmsError(code, message, { details: { chargePointId, connectorId, chargingProfileId: profile.chargingProfileId } });
    };
    if (isLoadManagementProfileId(profile.chargingProfileId)) {
      invalid(`chargingProfileId ${profile.chargingProfileId} is in the range site load management owns (≥ ${LOAD_MANAGEMENT_ID_BASE}); use a smaller id`);
    }
    if (profile.chargingProfilePurpose === 'ChargePointMaxProfile' && connectorId !== 0) {
      invalid('a ChargePointMaxProfile applies to the whole charge point: send it to connectorId 0');
    }
    let sent = profile;
    if (profile.chargingProfilePurpose === 'TxProfile') {
      if (connectorId < 1) invalid('a TxProfile applies to the transaction of one connector: use a connectorId ≥ 1');
      const running = await this.#deps.orm.em.fork().findOne(TransactionSchema, { chargePoint: chargePointId, connectorId, status: 'Active' }, { orderBy: { id: 'desc' } });
      if (!running) {
        invalid(`no transaction is running on ${chargePointId} connector ${connectorId}; a TxProfile needs one (use a TxDefaultProfile for sessions that start later)`, CsmsErrorCode.CALL_NOT_ALLOWED);
      }
      if (profile.transactionId !== undefined && profile.transactionId !== running!.id) {
        invalid(`transaction ${profile.transactionId} is not the one running on ${chargePointId} connector ${connectorId} (that is ${running!.id})`, CsmsErrorCode.CALL_NOT_ALLOWED);
      }
      sent = { ...profile, transactionId: running!.id };
    } else if (profile.transactionId !== undefined) {
      invalid('transactionId is only allowed in a TxProfile');
    }
    const site = await this.#deps.settings.get('site');
    if (site.maxGridPowerKw !== null && profile.stackLevel === LOAD_MANAGEMENT_STACK_LEVEL) {
      invalid(
        `stack level ${LOAD_MANAGEMENT_STACK_LEVEL} is used by site load management while settings.site.maxGridPowerKw is set, and a profile with the same purpose and stack level would replace its profile; use stackLevel ≥ ${LOAD_MANAGEMENT_STACK_LEVEL + 1}`,
        CsmsErrorCode.CALL_NOT_ALLOWED,
      );
    }

    let status: 'Accepted' | 'Rejected' | 'NotSupported';
    try {
      ({ status } = await this.#deps.commands.send(chargePointId, 'SetChargingProfile', { connectorId, csChargingProfiles: sent }, { actor }));
    } catch (err) {
      if (isCsmsError(err, CsmsErrorCode.CALL_TIMEOUT)) await this.#insertOperatorRow(chargePointId, connectorId, sent, 'Pending');
      throw err;
    }
    const row = await this.#insertOperatorRow(chargePointId, connectorId, sent, status);
    return { status, profile: row };
  }

  /**
   * Sends ClearChargingProfile (TC_067) and marks the matching stored profiles Cleared (also
   * when the charger answers Unknown: then it has none of them). Clearing load management's own
   * profiles while it is on makes it send them again.
   */
  async clearChargingProfile(chargePointId: string, filter: ClearChargingProfileFilter = {}, actor = 'system'): Promise<{ status: 'Accepted' | 'Unknown'; cleared: number }> {
    const { status } = await this.#deps.commands.send(chargePointId, 'ClearChargingProfile', filter, { actor });
    const { cleared, loadManagement } = await this.#deps.batcher.run(async (em) => {
      const rows = await em.find(ChargingProfileSchema, { chargePoint: chargePointId, status: { $ne: 'Cleared' } });
      const matching = rows.filter((r) => matchesClearFilter(r, filter));
      for (const r of matching) r.status = 'Cleared';
      return { cleared: matching.length, loadManagement: matching.some((r) => isLoadManagementProfileId(r.chargingProfileId)) };
    });
    if (loadManagement) this.#onLoadManagementCleared(chargePointId);
    return { status, cleared };
  }

  /** GetCompositeSchedule pass-through (TC_066). */
  getCompositeSchedule(
    chargePointId: string,
    request: CentralSystemActions['GetCompositeSchedule']['request'],
    actor = 'system',
  ): Promise<CentralSystemActions['GetCompositeSchedule']['response']> {
    return this.#deps.commands.send(chargePointId, 'GetCompositeSchedule', request, { actor });
  }

  /** Stored profiles, newest first; Cleared ones only with `includeCleared`. */
  async profiles(query: { chargePointId?: string; includeCleared?: boolean } = {}): Promise<StoredChargingProfile[]> {
    const where: Record<string, unknown> = {};
    if (query.chargePointId !== undefined) where.chargePoint = query.chargePointId;
    if (!query.includeCleared) where.status = { $ne: 'Cleared' };
    const rows = await this.#deps.orm.em.fork().find(ChargingProfileSchema, where, { orderBy: { id: 'desc' } });
    return rows.map(toStored);
  }

  async #insertOperatorRow(chargePointId: string, connectorId: number, profile: ChargingProfile, status: string): Promise<StoredChargingProfile> {
    return this.#deps.batcher.run(async (em) => {
      if (status === 'Accepted') {
        // The charger replaced any profile with the same id, or with the same purpose and stack level on this connector (S16 §5.16.2).
        const replaced = await em.find(ChargingProfileSchema, {
          chargePoint: chargePointId,
          status: { $ne: 'Cleared' },
          $or: [
            { chargingProfileId: profile.chargingProfileId },
            { connectorId, stackLevel: profile.stackLevel, purpose: profile.chargingProfilePurpose },
          ],
        });
        for (const r of replaced) r.status = 'Cleared';
      }
      const row = em.create(ChargingProfileSchema, rowFields(chargePointId, connectorId, profile, status));
      await em.flush();
      return toStored(row);
    });
  }
}

function matchesClearFilter(row: ChargingProfileRow, filter: ClearChargingProfileFilter): boolean {
  // With an id, only that profile (S16 §5.5); otherwise every given criterion must match.
  if (filter.id !== undefined) return row.chargingProfileId === filter.id;
  if (filter.connectorId !== undefined && row.connectorId !== filter.connectorId) return false;
  if (filter.chargingProfilePurpose !== undefined && row.purpose !== filter.chargingProfilePurpose) return false;
  if (filter.stackLevel !== undefined && row.stackLevel !== filter.stackLevel) return false;
  return true;
}

export function rowFields(chargePointId: string, connectorId: number, profile: ChargingProfile, status: string) {
  return {
    chargePoint: chargePointId,
    connectorId,
    chargingProfileId: profile.chargingProfileId,
    stackLevel: profile.stackLevel,
    purpose: profile.chargingProfilePurpose,
    kind: profile.chargingProfileKind,
    recurrencyKind: profile.recurrencyKind ?? null,
    validFrom: profile.validFrom ? new Date(profile.validFrom) : null,
    validTo: profile.validTo ? new Date(profile.validTo) : null,
    transactionId: profile.transactionId ?? null,
    schedule: profile.chargingSchedule as ChargingScheduleJson,
    status,
  };
}

function toStored(row: ChargingProfileRow): StoredChargingProfile {
  return {
    id: row.id,
    chargePointId: row.chargePoint ?? null,
    connectorId: row.connectorId,
    chargingProfileId: row.chargingProfileId,
    stackLevel: row.stackLevel,
    purpose: row.purpose as ChargingProfilePurpose,
    kind: row.kind as ChargingProfile['chargingProfileKind'],
    recurrencyKind: (row.recurrencyKind ?? null) as 'Daily' | 'Weekly' | null,
    validFrom: row.validFrom ?? null,
    validTo: row.validTo ?? null,
    transactionId: row.transactionId ?? null,
    schedule: row.schedule,
    status: row.status,
    createdAt: row.createdAt,
    loadManagement: isLoadManagementProfileId(row.chargingProfileId),
  };
}
