import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import type { CsmsConfig } from '../../config/index.js';
import type { CsmsHooks } from '../../hooks.js';
import type { HookRunner, ObserveHookName } from '../../kernel/hooks.js';
import type { Logger } from '../../kernel/logger.js';
import type { RegistrationStatus } from '../../ocpp/v16/messages.js';
import type { SettingsService } from '../settings/settings-service.js';
import type { LiveBus } from './live-bus.js';
import { liveHookHandlers } from './live-hooks.js';
import { LiveState } from './live-state.js';
import { readLiveState } from './read-live-state.js';

export interface StartLiveStateDeps {
  config: CsmsConfig;
  log: Logger;
  clock: Clock;
  orm: MikroORM;
  settings: Pick<SettingsService, 'all'>;
  hooks: HookRunner<CsmsHooks>;
  /** The registration status of a charge point's open connection, if it has one. */
  registrationOf(chargePointId: string): RegistrationStatus | null | undefined;
  bus?: LiveBus;
}

/**
 * Builds the live state, taps the observe hooks that feed it (synchronously, ahead of every plugin's
 * queue) and loads it from the database.
 */
export async function startLiveState(deps: StartLiveStateDeps): Promise<LiveState> {
  const { config, clock } = deps;
  const log = deps.log.child({ component: 'live' });
  const live = new LiveState({
    clock,
    log,
    ...(deps.bus ? { bus: deps.bus } : {}),
    options: { coalesceMs: config.live.coalesceMs, lastSessionMinutes: config.live.lastSessionMinutes },
  });
  const settings = await deps.settings.all();
  const tariff = { current: settings.tariff };
  // Taps, not plugin hooks: the live state is updated inside observe() (after the commit, before the
  // reply), so it never waits behind a plugin's slow observe handler. It only touches memory.
  const handlers = liveHookHandlers(live, { clock, registrationOf: deps.registrationOf, tariff });
  for (const [name, handler] of Object.entries(handlers)) {
    deps.hooks.tap(name as ObserveHookName<CsmsHooks>, handler as (arg: unknown) => void);
  }
  const started = performance.now();
  const data = await readLiveState(deps.orm, {
    currentTariff: settings.tariff,
    siteMaxGridPowerKw: settings.site.maxGridPowerKw,
    lastSessionMinutes: config.live.lastSessionMinutes,
    now: clock.now(),
  });
  live.load(data);
  log.info(
    { chargePoints: data.chargePoints.length, openSessions: data.openSessions.length, ms: Math.round(performance.now() - started) },
    'live state loaded from the database',
  );
  return live;
}
