import { describe, expectTypeOf, it } from 'vitest';
import { CS_CALL_HANDLERS } from '../cs-call-router.js';
import type { CentralSystemActions } from '../ocpp-types.js';
import { remoteStartTransaction } from './core-handlers.js';
import type { CallHandler } from './handler-context.js';

// Compile-time checks (the package typecheck includes this file); the runtime part is trivial.
describe('CS→CP handlers are typed by their action', () => {
  it('RemoteStartTransaction takes its request and answers its response', () => {
    expectTypeOf(remoteStartTransaction).parameter(0).toEqualTypeOf<CentralSystemActions['RemoteStartTransaction']['request']>();
    expectTypeOf(remoteStartTransaction).returns.resolves.toEqualTypeOf<CentralSystemActions['RemoteStartTransaction']['response']>();
    expectTypeOf(CS_CALL_HANDLERS.RemoteStartTransaction).toEqualTypeOf<CallHandler<'RemoteStartTransaction'>>();
  });

  it('a handler returning a wrong field or status does not compile', () => {
    // @ts-expect-error: RemoteStartTransaction.conf has `status`, not `state`
    const wrongField: CallHandler<'RemoteStartTransaction'> = () => ({ state: 'Accepted' });
    // @ts-expect-error: GetDiagnostics.conf has only `fileName` (weak-type check)
    const misspelled: CallHandler<'GetDiagnostics'> = () => ({ filename: 'x.json' });
    // @ts-expect-error: listVersion is a number
    const wrongType: CallHandler<'GetLocalListVersion'> = () => ({ listVersion: '3' });
    // @ts-expect-error: 'Unlocked' is not a RemoteStartTransaction status
    const wrongStatus: CallHandler<'RemoteStartTransaction'> = () => ({ status: 'Unlocked' });
    // @ts-expect-error: the router table maps each action to its own handler
    const swapped: (typeof CS_CALL_HANDLERS)['Reset'] = remoteStartTransaction;
    expectTypeOf([wrongField, misspelled, wrongType, wrongStatus, swapped]).toBeArray();
  });
});
