import { definePlugin, type CsmsPlugin, type CsmsPluginContext } from '@charge-it/core';
import { mlEntities } from './entities.js';
import { MlService, type MlLive, type MlQueries, type MlServiceOptions } from './ml-service.js';
import { mlRoutes } from './routes.js';
import { assertTimeZone } from './time.js';
import type { SessionRecord } from './types.js';

declare module '@charge-it/core' {
  interface CsmsServices {
    /** The ML plugin (`@charge-it/plugin-ml`): forecasts, availability, anomalies, segments, advice. */
    ml: MlService;
  }
}

export interface MlPluginOptions extends Partial<MlServiceOptions> {
  /** Train once when the CSMS starts (default true). */
  trainOnStart?: boolean;
  /** Retrain every this many minutes (default 360; 0 = only at start and on demand). */
  intervalMinutes?: number;
  /** Score every completed session against the anomaly model and log the unusual ones (default true). */
  scoreCompletedSessions?: boolean;
  /** Score above which a completed session is logged as unusual (default 0.65). */
  alertScore?: number;
  /**
   * Let the core's site load management use the advice (default false): each running session is
   * capped at the power it needs to get its expected energy before its expected departure, and the
   * power it leaves goes to the other sessions. Only acts while a site grid limit is set.
   */
  applyAdviceToLoadManagement?: boolean;
}

function checkOptions(o: MlPluginOptions): void {
  const problems: string[] = [];
  const int = (name: keyof MlPluginOptions, min: number, max: number) => {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) problems.push(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
  };
  int('horizonHours', 24, 48);
  int('historyDays', 7, 3650);
  int('maxSessions', 100, 100_000);
  int('meterStreams', 0, 10_000);
  int('intervalMinutes', 0, 7 * 24 * 60);
  int('seed', 0, 2 ** 31 - 1);
  if (o.timeZone !== undefined) {
    try {
      assertTimeZone(o.timeZone);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length) throw new Error(`@charge-it/plugin-ml options: ${problems.join('; ')}`);
}

/**
 * The ML plugin: load forecast (seasonal ARIMA), connector availability, Isolation Forest anomalies
 * on sessions and meter streams, K-Means driver segments, session regression and load-optimisation
 * advice — trained on the database's sessions in a worker thread, persisted, served by
 * `services.get('ml')` and `/api/v1/ml/...`.
 */
export function ml(options: MlPluginOptions = {}): CsmsPlugin {
  checkOptions(options);
  return definePlugin({
    name: 'ml',
    entities: [...mlEntities],
    async setup(ctx: CsmsPluginContext) {
      // Only what the plugin reads of the core's query module and live state (checked structurally).
      const queries: MlQueries = ctx.services.get('queries');
      const live: MlLive = ctx.services.get('live');
      const service = new MlService(
        {
          queries,
          live,
          log: ctx.log,
          em: () => ctx.em(),
          now: () => ctx.services.get('clock').now(),
        },
        {
          timeZone: options.timeZone ?? 'UTC',
          seed: options.seed ?? 1,
          horizonHours: options.horizonHours ?? 48,
          historyDays: options.historyDays ?? 365,
          maxSessions: options.maxSessions ?? 100_000,
          meterStreams: options.meterStreams ?? 200,
          perChargePoint: options.perChargePoint ?? true,
        },
      );
      const loaded = await service.load();
      ctx.log.info({ models: loaded }, 'ml: persisted models loaded');
      ctx.provide('ml', service);
      ctx.apiRoutes(mlRoutes(service), { prefix: '/ml' });

      if (options.scoreCompletedSessions ?? true) {
        const alert = options.alertScore ?? 0.65;
        ctx.on('onTransactionStopped', ({ transaction: tx }) => {
          if (!tx.stoppedAt) return;
          const record: SessionRecord = {
            id: tx.id,
            chargePointId: tx.chargePointId,
            connectorId: tx.connectorId,
            idTag: tx.idTag,
            startedAt: Date.parse(tx.startedAt),
            stoppedAt: Date.parse(tx.stoppedAt),
            energyWh: tx.energyWh ?? 0,
            maxPowerW: null,
            avgPowerW: null,
            idleS: null,
            flags: tx.flags,
          };
          const scored = service.scoreSession(record);
          if (scored.status === 'ok' && scored.result.score >= alert) {
            ctx.log.warn({ transactionId: tx.id, chargePointId: tx.chargePointId, score: scored.result.score }, `ml: unusual session: ${scored.result.explanation}`);
          }
        });
      }

      if (options.applyAdviceToLoadManagement) {
        const lm = ctx.services.get('loadManagement');
        lm.setSessionAdvisor('ml', (sessions) => service.loadManagementCaps(sessions));
        ctx.onClose(() => lm.setSessionAdvisor('ml', null));
        ctx.log.info('ml: advice applied to site load management (applyAdviceToLoadManagement)');
      }

      const interval = (options.intervalMinutes ?? 360) * 60_000;
      let timer: NodeJS.Timeout | undefined;
      let closed = false;
      const schedule = (delay: number) => {
        service.setNextRun(new Date(Date.now() + delay));
        timer = setTimeout(() => {
          service.setNextRun(null);
          service
            .train(delay === 0 ? 'start' : 'schedule')
            .catch(() => {})
            .finally(() => {
              if (interval > 0 && !closed) schedule(interval);
            });
        }, delay);
        timer.unref();
      };
      if (options.trainOnStart ?? true) schedule(0);
      else if (interval > 0) schedule(interval);
      ctx.onClose(async () => {
        closed = true;
        clearTimeout(timer);
        await service.close();
      });
    },
  });
}
