import { describe, expectTypeOf, it } from 'vitest';
import type {
  AuthorizeRequest,
  AuthorizeResponse,
  ChargePointSession,
  CsmsHooks,
  CsmsPluginContext,
  CsmsServices,
  DataTransferRequest,
  DataTransferResponse,
  ServiceRegistry,
  SettingsService,
  TariffService,
  TransactionInfo,
} from '../src/index.js';

/**
 * Type-level checks of the plugin API: `npx vitest run --typecheck.only` (and `tsc -p tsconfig.json`, which covers test/), kept
 * honest by `@ts-expect-error`: a line that stops failing to compile fails the type check).
 */
interface WeatherService {
  temperatureC(siteId: string): Promise<number>;
}
declare module '../src/services.js' {
  interface CsmsServices {
    weather: WeatherService;
  }
}

declare const ctx: CsmsPluginContext;

describe('typed plugin API (compile-time)', () => {
  it('services.get is typed by CsmsServices, plugin services by declaration merging', () => {
    expectTypeOf(ctx.services.get('weather')).toEqualTypeOf<WeatherService>();
    expectTypeOf(ctx.services.get('tariffs')).toEqualTypeOf<TariffService>();
    expectTypeOf(ctx.services.get('settings')).toEqualTypeOf<SettingsService>();
    expectTypeOf<CsmsServices['weather']>().toEqualTypeOf<WeatherService>();
    expectTypeOf(ctx.services).toEqualTypeOf<ServiceRegistry<CsmsServices>>();
    // An unknown name does not compile ...
    // @ts-expect-error -- "nope" is not a declared service
    expectTypeOf(ctx.services.get('nope')).toBeUnknown();
    // ... and neither do the core's internals.
    // @ts-expect-error -- internal, not in CsmsServices
    ctx.services.get('orm');
    // @ts-expect-error -- internal, not in CsmsServices
    ctx.services.get('sessions');
    expectTypeOf(ctx.services.has).parameter(0).toEqualTypeOf<string>();
  });

  it('provide is typed by the same interface', () => {
    expectTypeOf(ctx.provide<'weather'>).parameter(1).toEqualTypeOf<WeatherService>();
    // @ts-expect-error -- the value does not match the declared WeatherService
    ctx.provide('weather', { temperatureC: () => 'hot' });
    // @ts-expect-error -- undeclared name
    ctx.provide('undeclared', 1);
  });

  it('ctx.on is typed per hook; transactions are TransactionInfo', () => {
    ctx.on('onTransactionStopped', (payload) => {
      expectTypeOf(payload.transaction).toEqualTypeOf<TransactionInfo>();
      expectTypeOf(payload.transaction.energyWh).toEqualTypeOf<number | null>();
      expectTypeOf(payload.transaction.startedAt).toEqualTypeOf<string>();
    });
    ctx.on('onAuthorize', ({ idTag }) => (idTag === 'X' ? { status: 'Blocked' } : undefined));
    // @ts-expect-error -- a decide hook must answer an IdTagInfo (or undefined)
    ctx.on('onAuthorize', () => ({ status: 'Maybe' }));
    // @ts-expect-error -- unknown hook
    ctx.on('onCoffee', () => {});
    expectTypeOf<CsmsHooks['onTransactionStarted']['arg']['transaction']>().toEqualTypeOf<TransactionInfo>();
  });

  it('ctx.handle is typed per OCPP action; the session has no client', () => {
    ctx.handle(
      'Authorize',
      (call) => {
        expectTypeOf(call.params).toEqualTypeOf<AuthorizeRequest>();
        expectTypeOf(call.session).toEqualTypeOf<ChargePointSession>();
        const answer: AuthorizeResponse = { idTagInfo: { status: 'Accepted' } };
        return answer;
      },
      { replaceDefault: true },
    );
    // @ts-expect-error -- a Heartbeat handler must answer { currentTime }
    ctx.handle('Heartbeat', () => ({ status: 'Accepted' }), { replaceDefault: true });
    // @ts-expect-error -- not a charge-point-initiated OCPP 1.6 action
    ctx.handle('Coffee', () => ({}));
    ctx.handleDataTransfer('com.acme', (call) => {
      expectTypeOf(call.params).toEqualTypeOf<DataTransferRequest>();
      return { status: 'Accepted' } satisfies DataTransferResponse;
    });
    // @ts-expect-error -- plugins never see the ocpp-rpc client
    expectTypeOf<ChargePointSession['client']>().toBeObject();
  });
});
