import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import type { CoreInternalServices } from '../../services.js';
import { TariffService } from './tariff-service.js';

/**
 * Built-in plugin that provides the `tariffs` service (quotes and live/final transaction costs).
 * The final cost itself is computed by the TransactionService inside the StopTransaction write,
 * so a stopped transaction always carries its cost, with or without this plugin's service.
 */
export function tariffsPlugin(internals: Pick<CoreInternalServices, 'orm' | 'sampleInbox'>): CsmsPlugin {
  return definePlugin({
    name: 'core-tariffs',
    setup(ctx) {
      const { services } = ctx;
      ctx.provide('tariffs', new TariffService({ orm: internals.orm, samples: internals.sampleInbox, settings: services.get('settings'), clock: services.get('clock') }));
    },
  });
}
