import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import type { CsmsHooks } from '../../hooks.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { HookRunner } from '../../kernel/hooks.js';
import type { Logger } from '../../kernel/logger.js';
import { AuditLogSchema, SettingSchema } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';

/** Prices in whole rupiah (IDR has no minor unit). */
export interface TariffSettings {
  /** Energy price per kWh, IDR. */
  energyPricePerKwh: number;
  /** Price per minute of a session, IDR (0 = none). */
  pricePerMinute: number;
  /** Idle fee per minute after charging finished while the car stays plugged in, IDR (0 = none). */
  idleFeePerMinute: number;
  /** Minutes of grace before the idle fee starts. */
  idleGraceMinutes: number;
  /** PPN (VAT) in percent, added on top of the net amount. */
  taxPercent: number;
}

export interface SiteSettings {
  /** The site's maximum grid power in kW; null = no site limit (no load management). */
  maxGridPowerKw: number | null;
  /** A running session is never given less than this (kW), unless the site limit cannot cover it. */
  minPowerPerConnectorKw: number;
  /** Maximum of a charge point whose own maximum is unknown (kW). */
  defaultChargePointMaxKw: number;
}

/** How sessions flagged for review are billed. */
export interface BillingSettings {
  /**
   * Bill sessions whose idTag was not Accepted (an offline start with an unknown, blocked or
   * expired card: flagged `id-tag-invalid`, ...). Off (default): their cost is 0, the computed price
   * is kept in `costBreakdown.notBilled`, and they are flagged `not-billed` for review.
   */
  billUnauthorizedSessions: boolean;
}

export interface Settings {
  tariff: TariffSettings;
  site: SiteSettings;
  billing: BillingSettings;
  /** On: every connector is made Inoperative (also on charge points that connect later). */
  maintenanceMode: boolean;
}

export type SettingKey = keyof Settings;

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  tariff: { energyPricePerKwh: 2_467, pricePerMinute: 0, idleFeePerMinute: 0, idleGraceMinutes: 15, taxPercent: 11 },
  site: { maxGridPowerKw: null, minPowerPerConnectorKw: 1.4, defaultChargePointMaxKw: 22 },
  billing: { billUnauthorizedSessions: false },
  maintenanceMode: false,
});

type FieldProblems = Record<string, string>;

const nonNegativeInt = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? null : 'must be a whole number ≥ 0');
const positiveNumber = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'must be a number > 0');

const VALIDATORS: { [K in SettingKey]: (value: unknown) => FieldProblems } = {
  tariff: (value) => checkObject(value, 'tariff', {
    energyPricePerKwh: nonNegativeInt,
    pricePerMinute: nonNegativeInt,
    idleFeePerMinute: nonNegativeInt,
    idleGraceMinutes: nonNegativeInt,
    taxPercent: (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100 ? null : 'must be a percentage from 0 to 100'),
  }),
  site: (value) => {
    const problems = checkObject(value, 'site', {
      maxGridPowerKw: (v) => (v === null ? null : positiveNumber(v)),
      minPowerPerConnectorKw: (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'must be a number ≥ 0'),
      defaultChargePointMaxKw: positiveNumber,
    });
    const site = value as SiteSettings;
    if (Object.keys(problems).length === 0 && site.maxGridPowerKw !== null && site.minPowerPerConnectorKw > site.maxGridPowerKw) {
      problems['site.minPowerPerConnectorKw'] = 'must not be above the site limit maxGridPowerKw';
    }
    return problems;
  },
  billing: (value) => checkObject(value, 'billing', { billUnauthorizedSessions: (v) => (typeof v === 'boolean' ? null : 'must be true or false') }),
  maintenanceMode: (value): FieldProblems => (typeof value === 'boolean' ? {} : { maintenanceMode: 'must be true or false' }),
};

function checkObject(value: unknown, key: string, fields: Record<string, (v: unknown) => string | null>): FieldProblems {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { [key]: 'must be an object' };
  const problems: FieldProblems = {};
  for (const name of Object.keys(value)) if (!(name in fields)) problems[`${key}.${name}`] = 'unknown field';
  for (const [name, check] of Object.entries(fields)) {
    const v = (value as Record<string, unknown>)[name];
    // A partial value: say which field is missing (a setting is replaced whole; PATCH merges a part).
    const problem = v === undefined ? 'is required (the whole value is replaced; send every field, or PATCH only the ones to change)' : check(v);
    if (problem) problems[`${key}.${name}`] = problem;
  }
  return problems;
}

export interface SettingsServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  hooks: HookRunner<CsmsHooks>;
  clock: Clock;
  log: Logger;
}

/**
 * Runtime settings that operators change while the system runs (tariff, site limit, maintenance
 * mode), stored in the `setting` table over the defaults, validated field by field, audited, and
 * announced to plugins and core features through the `onSettingsChanged` hook.
 */
export class SettingsService {
  readonly #deps: SettingsServiceDeps;
  #cache: Settings | undefined;

  constructor(deps: SettingsServiceDeps) {
    this.#deps = deps;
  }

  async all(): Promise<Settings> {
    return structuredClone(await this.#cached());
  }

  async get<K extends SettingKey>(key: K): Promise<Settings[K]> {
    const value = (await this.#cached())[key];
    // A copy: a caller that changes it changes nothing here. A boolean needs none (every boot reads one).
    return typeof value === 'object' && value !== null ? structuredClone(value) : value;
  }

  async #cached(): Promise<Settings> {
    if (!this.#cache) {
      const rows = await this.#deps.orm.em.fork().find(SettingSchema, {});
      const stored = Object.fromEntries(rows.map((r) => [r.key, r.value]));
      this.#cache = {
        tariff: { ...DEFAULT_SETTINGS.tariff, ...(stored.tariff as Partial<TariffSettings> | undefined) },
        site: { ...DEFAULT_SETTINGS.site, ...(stored.site as Partial<SiteSettings> | undefined) },
        billing: { ...DEFAULT_SETTINGS.billing, ...(stored.billing as Partial<BillingSettings> | undefined) },
        maintenanceMode: (stored.maintenanceMode as boolean | undefined) ?? DEFAULT_SETTINGS.maintenanceMode,
      };
    }
    return this.#cache;
  }

  /** Validates (every problem named by field), stores, audits, then runs `onSettingsChanged`. */
  async set<K extends SettingKey>(key: K, value: Settings[K], actor = 'system'): Promise<Settings[K]> {
    const validate = VALIDATORS[key] as ((v: unknown) => FieldProblems) | undefined;
    if (!validate) {
      throw new CsmsError(CsmsErrorCode.SETTING_INVALID, `unknown setting "${String(key)}"; known: ${Object.keys(VALIDATORS).join(', ')}`, {
        details: { fields: { [String(key)]: 'unknown setting' } },
      });
    }
    const problems = validate(value);
    if (Object.keys(problems).length > 0) {
      throw new CsmsError(
        CsmsErrorCode.SETTING_INVALID,
        `invalid ${key}: ${Object.entries(problems).map(([f, p]) => `${f} ${p}`).join('; ')}`,
        { details: { fields: problems } },
      );
    }
    const previous = await this.get(key);
    await this.#deps.batcher.run(async (em) => {
      const row = await em.findOne(SettingSchema, { key });
      if (row) row.value = value;
      else em.create(SettingSchema, { key, value });
      em.create(AuditLogSchema, { at: this.#deps.clock.now(), actor, action: 'ChangeSetting', chargePoint: null, request: { key, value }, result: { previous }, outcome: 'ok' });
    });
    this.#cache = { ...(await this.all()), [key]: structuredClone(value) };
    this.#deps.log.info({ key, actor }, 'setting changed');
    this.#deps.hooks.observe('onSettingsChanged', { key, value: structuredClone(value), previous }, 'settings');
    return value;
  }
}
