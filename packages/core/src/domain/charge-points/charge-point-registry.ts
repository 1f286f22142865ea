import type { Clock } from '../../clock.js';
import type { CsmsConfig } from '../../config/index.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import { generateAuthKey, hashGeneratedAuthKey } from '../../ocpp/credentials.js';
import { DEFAULT_IDENTITY_PATTERN } from '../../ocpp/handshake-checks.js';
import { AuditLogSchema, ChargePointSchema } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';

export interface RegisterChargePointInput {
  id: string;
  /** 0 = none, 1 = Basic auth, 2 = TLS + Basic auth (needs TLS on this server). */
  securityProfile: 0 | 1 | 2 | 3;
  maxPowerKw?: number | null;
  description?: string | null;
}

export interface ChargePointRegistryDeps {
  batcher: WriteBatcher;
  config: CsmsConfig;
  clock: Clock;
  log: Logger;
}

/**
 * `services.get('chargePointRegistry')`: registers charge points ahead of their first connection
 * (REST `POST /charge-points`, the dashboard's "Register a charge point"). Validated field by field (CsmsError INPUT_INVALID
 * with details.fields, CONFLICT for a taken id, also one differing only in letter case), audited
 * (RegisterChargePoint), and for security profiles 1/2 it generates the Basic-auth key, stores only
 * its hash and returns the key this once.
 */
export class ChargePointRegistry {
  readonly #deps: ChargePointRegistryDeps;

  constructor(deps: ChargePointRegistryDeps) {
    this.#deps = deps;
  }

  async register(input: RegisterChargePointInput, actor: string): Promise<{ id: string; securityProfile: 0 | 1 | 2 | 3; authKey: string | null }> {
    const problems: Record<string, string> = {};
    const { id, securityProfile } = input;
    if (typeof id !== 'string' || !DEFAULT_IDENTITY_PATTERN.test(id) || id === '.' || id === '..') problems.id = 'must be 1–48 letters, digits or * - _ = : + | @ . #';
    if (![0, 1, 2, 3].includes(securityProfile)) problems.securityProfile = 'must be 0, 1, 2 or 3';
    else if (securityProfile === 3 && !this.#deps.config.tls?.caFile) problems.securityProfile = 'profile 3 (TLS client certificates) needs TLS with a client CA on this server (CHARGE_IT_TLS_CA_FILE)';
    else if (securityProfile === 2 && !this.#deps.config.tls) problems.securityProfile = 'profile 2 (TLS + Basic auth) needs TLS on this server (CHARGE_IT_TLS_CERT_FILE / CHARGE_IT_TLS_KEY_FILE); use 1 until then';
    const maxPowerKw = input.maxPowerKw ?? null;
    // The REST API's bound (POST/PATCH /charge-points: above 0, at most 10 000 kW).
    if (maxPowerKw !== null && !(typeof maxPowerKw === 'number' && Number.isFinite(maxPowerKw) && maxPowerKw > 0 && maxPowerKw <= 10_000)) problems.maxPowerKw = 'must be a number above 0, at most 10000';
    const description = input.description ?? null;
    if (description !== null && (typeof description !== 'string' || description.length > 255)) problems.description = 'must be at most 255 characters';
    if (Object.keys(problems).length) {
      throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `invalid charge point: ${Object.entries(problems).map(([f, p]) => `${f} ${p}`).join('; ')}`, { details: { fields: problems } });
    }
    // Profile 3 authenticates by client certificate: no key.
    const authKey = securityProfile > 0 && securityProfile < 3 ? generateAuthKey() : null;
    const authKeyHash = authKey ? hashGeneratedAuthKey(authKey) : null;
    await this.#deps.batcher.run(async (em) => {
      // LIKE is case-insensitive for ASCII on both databases, so both refuse an id differing only in case.
      const similar = await em.find(ChargePointSchema, { id: { $like: id } });
      const clash = similar.find((cp) => cp.id.toLowerCase() === id.toLowerCase());
      if (clash) {
        throw new CsmsError(
          CsmsErrorCode.CONFLICT,
          clash.id === id ? `charge point "${id}" is registered already` : `charge point id "${id}" differs only in letter case from the registered "${clash.id}"`,
          { details: { fields: { id: 'already registered' } } },
        );
      }
      em.create(ChargePointSchema, { id, securityProfile, authKeyHash, maxPowerKw, description });
      em.create(AuditLogSchema, {
        at: this.#deps.clock.now(), actor, action: 'RegisterChargePoint', chargePoint: id,
        request: { id, securityProfile, maxPowerKw, description }, result: { keyGenerated: Boolean(authKey) }, outcome: 'ok',
      });
    });
    this.#deps.log.info({ chargePointId: id, securityProfile, actor }, 'charge point registered');
    return { id, securityProfile, authKey };
  }
}
