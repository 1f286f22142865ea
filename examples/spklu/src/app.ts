import { createCsms, definePlugin, type CreateCsmsOptions, type Csms, type CsmsPlugin } from '@charge-it/core';
import { dashboard, type DashboardOptions } from '@charge-it/plugin-dashboard-htmx';
import { FIREBASE_ENV, firebaseMirror, type FirebaseMirrorOptions } from '@charge-it/plugin-firebase';
import { ml, type MlPluginOptions } from '@charge-it/plugin-ml';
import { DEMO_ADMIN, SPKLU_KNOWN_ENV } from './spklu-config.js';

/** Where the SPKLU app keeps its data unless CHARGE_IT_DATABASE_URL says otherwise (relative to the working directory). */
export const SPKLU_DEFAULT_DATABASE_URL = 'sqlite:./data/spklu.db';

/** The idTag a fresh demo installation accepts, so a charger can start a session right away. */
export const SPKLU_DEMO_ID_TAG = 'DEMO-123';

/** The UID of the demo card tapped on the demo charge point's emulated PN532 reader (seeded in demo mode). */
export const SPKLU_DEMO_CARD_UID = '04A1B2C3';

/**
 * The idTags `charge-it-edge simulate` derives from its identities (`SIM-001` connector 1 →
 * `SIM0011A`, `SIM0011B`; the demo's own simulated charge points `DEMO-SIM-001` → `DEMOSIM0011A`).
 * Not the stranger card (`SIM001X`), which the simulator expects to be refused.
 */
export const SIMULATOR_ID_TAG = /^(?:DEMO)?SIM\d{4,}[AB]$/;

export interface SpkluAppOptions extends CreateCsmsOptions {
  /**
   * The demo configuration (default true): unknown charge points registered on first contact, the
   * demo idTags seeded, the simulator's cards accepted, the public live view on for the driver page,
   * and the demo dashboard login (`admin` / `charge-it-demo`) when no user exists and none is
   * configured. `false` is the production configuration: none of that.
   */
  demo?: boolean;
  /**
   * idTags inserted as Accepted at start when they are missing (demo default `['DEMO-123', '04A1B2C3']`,
   * production `[]`). An existing row is left alone, so an operator who blocks a demo tag keeps it blocked.
   */
  demoIdTags?: readonly string[];
  /** Dashboard options (`false`: no dashboard). Default: `/dashboard`, Asia/Jakarta, `GET /` redirects there. */
  dashboard?: DashboardOptions | false;
  /** ML options (`false`: no ML plugin). Default: the dashboard's time zone, training at start and every 6 h. */
  ml?: MlPluginOptions | false;
  /** Firebase mirror options (`false`: none). Default: from CHARGE_IT_FIREBASE_* (off without credentials). */
  firebase?: FirebaseMirrorOptions | false;
  /** Shown in the dashboard's sidebar and titles (default "SPKLU"). */
  siteName?: string;
}

/**
 * The SPKLU system: the core with the dashboard, ML and Firebase plugins on the embedded SQLite file
 * (`./data/spklu.db`), port 9000. Every option can be overridden by the caller, and the `CHARGE_IT_*`
 * environment variables override both. The returned CSMS is not listening yet: call `listen()`.
 */
export async function createSpkluApp(options: SpkluAppOptions = {}): Promise<Csms> {
  const {
    demo = true,
    demoIdTags = demo ? [SPKLU_DEMO_ID_TAG, SPKLU_DEMO_CARD_UID] : [],
    dashboard: dashboardOptions = {},
    ml: mlOptions = {},
    firebase: firebaseOptions = {},
    siteName = 'SPKLU',
    plugins = [],
    knownEnv = [],
    ...csmsOptions
  } = options;
  const env = csmsOptions.env ?? process.env;
  const timeZone = (dashboardOptions && dashboardOptions.timeZone) || env.CHARGE_IT_DASHBOARD_TIME_ZONE || 'Asia/Jakarta';

  const appPlugins: CsmsPlugin[] = [];
  if (demo) appPlugins.push(simulatorCards());
  if (mlOptions) appPlugins.push(ml({ timeZone, ...mlOptions }));
  if (firebaseOptions) appPlugins.push(firebaseMirror({ env, ...firebaseOptions }));
  if (dashboardOptions) {
    const adminConfigured = Boolean(env.CHARGE_IT_DASHBOARD_ADMIN_USER || env.CHARGE_IT_DASHBOARD_ADMIN_PASSWORD);
    appPlugins.push(
      dashboard({
        redirectRoot: true,
        siteName,
        timeZone,
        env,
        ...(demo && !adminConfigured ? { firstAdmin: { ...DEMO_ADMIN } } : {}),
        ...dashboardOptions,
      }),
    );
  }

  const csms = await createCsms({
    ...csmsOptions,
    plugins: [...appPlugins, ...plugins],
    knownEnv: [...SPKLU_KNOWN_ENV, ...FIREBASE_ENV, ...knownEnv],
    databaseUrl: csmsOptions.databaseUrl ?? SPKLU_DEFAULT_DATABASE_URL,
    port: csmsOptions.port ?? 9000,
    autoRegister: csmsOptions.autoRegister ?? demo,
    ...(demo ? { publicLive: csmsOptions.publicLive ?? true } : {}),
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
  if (idTags.length === 0) return [];
  const inserted = await csms.services
    .get('idTags')
    .ensure(idTags.map((idTag) => ({ idTag, status: 'Accepted' as const, ownerName: 'SPKLU demo' })), 'system:spklu-seed');
  if (inserted.length > 0) csms.log.info({ idTags: inserted }, `seeded demo idTag(s) ${inserted.join(', ')} as Accepted`);
  return inserted;
}

/**
 * Demo only: the first time a simulator card (`SIM0011A`, …) is presented, it is added to the card
 * table as Accepted (owner "simulator"), so `charge-it-edge simulate` works against the demo out of
 * the box; the core's own rules then decide, so blocking such a card in the dashboard sticks.
 */
export function simulatorCards(): CsmsPlugin {
  return definePlugin({
    name: 'spklu-simulator-cards',
    setup(ctx) {
      const idTags = ctx.services.get('idTags');
      ctx.on('onAuthorize', async ({ idTag }) => {
        if (!SIMULATOR_ID_TAG.test(idTag)) return undefined;
        await idTags.ensure([{ idTag, status: 'Accepted', ownerName: 'simulator (demo)' }], 'system:spklu-demo');
        return undefined; // no decision: the IdTag table (now holding the card) decides
      });
    },
  });
}
