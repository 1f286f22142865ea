import { createCsms, type CreateCsmsOptions, type Csms } from '@charge-it/core';

/** Where the SPKLU app keeps its data unless CHARGE_IT_DATABASE_URL says otherwise (relative to the working directory). */
export const SPKLU_DEFAULT_DATABASE_URL = 'sqlite:./data/spklu.db';

/** The idTag a fresh installation accepts, so a charger can start a session right away. */
export const SPKLU_DEMO_ID_TAG = 'DEMO-123';

export interface SpkluAppOptions extends CreateCsmsOptions {
  /**
   * idTags inserted as Accepted at start when they are missing (default `['DEMO-123']`). An existing
   * row is left alone, so an operator who blocks the demo tag keeps it blocked across restarts.
   */
  demoIdTags?: readonly string[];
}

/**
 * The SPKLU demo configuration of the core: embedded SQLite under `./data/`, port 9000, unknown
 * charge points registered on first contact, and the demo idTag seeded. Every option can still be
 * overridden by the caller, and the `CHARGE_IT_*` environment variables override both.
 * The returned CSMS is not listening yet: call `listen()`.
 */
export async function createSpkluApp(options: SpkluAppOptions = {}): Promise<Csms> {
  const { demoIdTags = [SPKLU_DEMO_ID_TAG], ...csmsOptions } = options;
  const csms = await createCsms({
    ...csmsOptions,
    databaseUrl: csmsOptions.databaseUrl ?? SPKLU_DEFAULT_DATABASE_URL,
    port: csmsOptions.port ?? 9000,
    autoRegister: csmsOptions.autoRegister ?? true,
  });
  try {
    await seedIdTags(csms, demoIdTags);
  } catch (err) {
    await csms.close();
    throw err;
  }
  return csms;
}

/**
 * Creates each missing idTag as Accepted through the core's `idTags` service (validated, audited as
 * `system:spklu-seed`, announced with `onIdTagsChanged`); returns the ones it created.
 */
export async function seedIdTags(csms: Csms, idTags: readonly string[]): Promise<string[]> {
  const inserted = await csms.services
    .get('idTags')
    .ensure(idTags.map((idTag) => ({ idTag, status: 'Accepted' as const, ownerName: 'SPKLU demo' })), 'system:spklu-seed');
  if (inserted.length > 0) csms.log.info({ idTags: inserted }, `seeded demo idTag(s) ${inserted.join(', ')} as Accepted`);
  return inserted;
}
