import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import { createOcpp16Validator } from '../../ocpp/ocpp16-validator.js';
import type { ChargingProfile, ChargingSchedule } from '../../ocpp/v16/central-system-messages.js';
import { AuditLogSchema, ChargingProfileTemplateSchema, type ChargingProfileTemplate } from '../../persistence/entities/index.js';
import type { CsmsEntityManager } from '../../persistence/create-orm.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import { LOAD_MANAGEMENT_ID_BASE } from './load-management-profiles.js';
import type { LoadManagementService } from './load-management-service.js';

/** A profile of the library as the API shows it; `id` IS the OCPP chargingProfileId. */
export interface LibraryProfile {
  id: number;
  name: string;
  description: string | null;
  stackLevel: number;
  chargingProfilePurpose: ChargingProfile['chargingProfilePurpose'];
  chargingProfileKind: ChargingProfile['chargingProfileKind'];
  recurrencyKind: 'Daily' | 'Weekly' | null;
  validFrom: string | null;
  validTo: string | null;
  chargingSchedule: ChargingSchedule;
  createdAt: string;
  updatedAt: string;
}

export interface LibraryProfileInput {
  name: string;
  description?: string | null;
  stackLevel: number;
  chargingProfilePurpose: ChargingProfile['chargingProfilePurpose'];
  chargingProfileKind: ChargingProfile['chargingProfileKind'];
  recurrencyKind?: 'Daily' | 'Weekly' | null;
  validFrom?: string | null;
  validTo?: string | null;
  chargingSchedule: ChargingSchedule;
}

export interface ChargingProfileLibraryDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  clock: Clock;
  loadManagement: () => LoadManagementService;
}

interface AjvLikeError {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/**
 * Charging profiles stored once, with a name and a description, and applied to any charge point
 * (SetChargingProfile through the load management service and so through the command service:
 * same rules, stored with the charger's answer, audited). The central system picks the OCPP
 * `chargingProfileId` (the row id), so ids never clash inside the library, and applying a profile
 * again to a charger replaces it there (same id).
 */
export class ChargingProfileLibrary {
  readonly #deps: ChargingProfileLibraryDeps;
  readonly #validator = createOcpp16Validator();

  constructor(deps: ChargingProfileLibraryDeps) {
    this.#deps = deps;
  }

  async list(): Promise<LibraryProfile[]> {
    const rows = await this.#deps.orm.em.fork().find(ChargingProfileTemplateSchema, {}, { orderBy: { id: 'asc' } });
    return rows.map(viewOf);
  }

  async get(id: number): Promise<LibraryProfile | null> {
    const row = await this.#deps.orm.em.fork().findOne(ChargingProfileTemplateSchema, { id });
    return row ? viewOf(row) : null;
  }

  async create(input: LibraryProfileInput, actor: string): Promise<LibraryProfile> {
    this.#check(input);
    const row = await this.#deps.batcher.run(async (em) => {
      await this.#nameFree(em, input.name);
      const created = em.create(ChargingProfileTemplateSchema, columnsOf(input));
      await em.flush();
      if (created.id >= LOAD_MANAGEMENT_ID_BASE) throw new CsmsError(CsmsErrorCode.CONFLICT, 'the charging profile library is full (ids reach the load management range)');
      this.#audit(em, actor, 'CreateChargingProfileTemplate', { id: created.id, ...input });
      return created;
    });
    return viewOf(row);
  }

  async replace(id: number, input: LibraryProfileInput, actor: string): Promise<LibraryProfile> {
    this.#check(input);
    const row = await this.#deps.batcher.run(async (em) => {
      const found = await em.findOne(ChargingProfileTemplateSchema, { id });
      if (!found) throw notFound(id);
      if (found.name !== input.name) await this.#nameFree(em, input.name);
      em.assign(found, columnsOf(input));
      this.#audit(em, actor, 'UpdateChargingProfileTemplate', { id, ...input });
      return found;
    });
    return viewOf(row);
  }

  async remove(id: number, actor: string): Promise<void> {
    await this.#deps.batcher.run(async (em) => {
      const found = await em.findOne(ChargingProfileTemplateSchema, { id });
      if (!found) throw notFound(id);
      em.remove(found);
      this.#audit(em, actor, 'DeleteChargingProfileTemplate', { id, name: found.name });
    });
  }

  /** Sends the stored profile to a connector of a charge point (the load management rules apply: TxProfile needs a running transaction, ...). */
  async apply(id: number, target: { chargePointId: string; connectorId: number }, actor: string) {
    const profile = await this.get(id);
    if (!profile) throw notFound(id);
    const ocpp: ChargingProfile = {
      chargingProfileId: profile.id,
      stackLevel: profile.stackLevel,
      chargingProfilePurpose: profile.chargingProfilePurpose,
      chargingProfileKind: profile.chargingProfileKind,
      ...(profile.recurrencyKind ? { recurrencyKind: profile.recurrencyKind } : {}),
      ...(profile.validFrom ? { validFrom: profile.validFrom } : {}),
      ...(profile.validTo ? { validTo: profile.validTo } : {}),
      chargingSchedule: profile.chargingSchedule,
    };
    return this.#deps.loadManagement().setChargingProfile(target.chargePointId, target.connectorId, ocpp, actor);
  }

  #check(input: LibraryProfileInput): void {
    const fields: Record<string, string> = {};
    if (typeof input.name !== 'string' || !/^\S(.{0,62}\S)?$/.test(input.name)) fields.name = 'must be 1–64 characters, not starting or ending with a space';
    if (input.description != null && (typeof input.description !== 'string' || input.description.length > 255)) fields.description = 'must be at most 255 characters';
    const probe = {
      connectorId: 0,
      csChargingProfiles: {
        chargingProfileId: 1,
        stackLevel: input.stackLevel,
        chargingProfilePurpose: input.chargingProfilePurpose,
        chargingProfileKind: input.chargingProfileKind,
        ...(input.recurrencyKind ? { recurrencyKind: input.recurrencyKind } : {}),
        ...(input.validFrom ? { validFrom: input.validFrom } : {}),
        ...(input.validTo ? { validTo: input.validTo } : {}),
        chargingSchedule: input.chargingSchedule,
      },
    };
    try {
      this.#validator.validate('urn:SetChargingProfile.req', probe);
    } catch (err) {
      for (const e of ((err as { details?: { errors?: AjvLikeError[] } }).details?.errors ?? []) as AjvLikeError[]) {
        const path = (e.instancePath ?? '').replace(/^\/csChargingProfiles\/?/, '').replace(/\//g, '.');
        const missing = e.params?.missingProperty as string | undefined;
        const field = [path, missing].filter(Boolean).join('.') || 'profile';
        fields[field] ??= missing ? 'is required' : (e.message ?? 'is invalid');
      }
      if (Object.keys(fields).length === 0) fields.profile = (err as Error).message;
    }
    if (input.chargingProfileKind === 'Recurring' && !input.recurrencyKind) fields.recurrencyKind ??= 'is required for a Recurring profile (Daily or Weekly)';
    if (Object.keys(fields).length > 0) {
      throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `invalid charging profile: ${Object.entries(fields).map(([f, p]) => `${f} ${p}`).join('; ')}`, { details: { fields } });
    }
  }

  async #nameFree(em: CsmsEntityManager, name: string): Promise<void> {
    if (await em.findOne(ChargingProfileTemplateSchema, { name })) {
      throw new CsmsError(CsmsErrorCode.CONFLICT, `a library profile named "${name}" exists already; pick another name`, { details: { fields: { name: 'is taken' } } });
    }
  }

  #audit(em: CsmsEntityManager, actor: string, action: string, request: unknown): void {
    em.create(AuditLogSchema, { at: this.#deps.clock.now(), actor, action, chargePoint: null, request, result: null, outcome: 'ok' });
  }
}

function notFound(id: number): CsmsError {
  return new CsmsError(CsmsErrorCode.NOT_FOUND, `no charging profile ${id} in the library`, { details: { id } });
}

function columnsOf(input: LibraryProfileInput) {
  return {
    name: input.name,
    description: input.description ?? null,
    stackLevel: input.stackLevel,
    purpose: input.chargingProfilePurpose,
    kind: input.chargingProfileKind,
    recurrencyKind: input.recurrencyKind ?? null,
    validFrom: input.validFrom ? new Date(input.validFrom) : null,
    validTo: input.validTo ? new Date(input.validTo) : null,
    schedule: input.chargingSchedule,
  };
}

function viewOf(row: ChargingProfileTemplate): LibraryProfile {
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? null,
    stackLevel: row.stackLevel,
    chargingProfilePurpose: row.purpose as LibraryProfile['chargingProfilePurpose'],
    chargingProfileKind: row.kind as LibraryProfile['chargingProfileKind'],
    recurrencyKind: (row.recurrencyKind as LibraryProfile['recurrencyKind']) ?? null,
    validFrom: row.validFrom ? row.validFrom.toISOString() : null,
    validTo: row.validTo ? row.validTo.toISOString() : null,
    chargingSchedule: row.schedule as ChargingSchedule,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
