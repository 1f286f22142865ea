import { isValidStatus } from '../ocpp-types.js';
import { authorizationKeyProblem } from '../../security/credential-store.js';
import { afterReply, type CallHandler } from './handler-context.js';

export const changeAvailability: CallHandler<'ChangeAvailability'> = ({ connectorId, type }, ctx) => ({ status: ctx.controller.changeAvailability(connectorId, type) });

/** Security whitepaper A01: a write-only key; the new value is on disk before Accepted goes out. */
const AUTHORIZATION_KEY = 'AuthorizationKey';
const KEY_COMMIT_GRACE_MS = 1_000;

export const changeConfiguration: CallHandler<'ChangeConfiguration'> = ({ key, value }, ctx) => {
  if (key === AUTHORIZATION_KEY) {
    const problem = authorizationKeyProblem(String(value));
    if (problem) {
      ctx.log.warn({ problem }, 'ChangeConfiguration AuthorizationKey rejected');
      return { status: 'Rejected' };
    }
    ctx.credentials.rotate(String(value));
    ctx.security.report('ReconfigurationOfSecurityParameters', 'AuthorizationKey changed by the central system');
    ctx.log.info('AuthorizationKey changed by the central system; reconnecting with it (the old key stays as a fallback until the new one is accepted)');
    // A second after the .conf went out (time for the central system to commit the new key): close
    // the link; the reconnect loop tries the new key, then the old one (a lost commit never locks us out).
    afterReply(() => new Promise((resolve) => setTimeout(resolve, KEY_COMMIT_GRACE_MS)).then(() => ctx.connection.drop()));
    return { status: 'Accepted' };
  }
  if (key === 'WebSocketPingInterval' && /^-/.test(String(value))) return { status: 'Rejected' };
  const status = ctx.config.change(String(key), String(value));
  if (status === 'Accepted' && key === 'WebSocketPingInterval') ctx.connection.setPingInterval(ctx.config.int(key));
  return { status };
};

export const getConfiguration: CallHandler<'GetConfiguration'> = ({ key }, ctx) => {
  const max = ctx.config.int('GetConfigurationMaxKeys');
  const keys: string[] | undefined = Array.isArray(key) ? key : undefined;
  if (keys && max > 0 && keys.length > max) {
    // More keys than GetConfigurationMaxKeys: answer the first ones, list the rest as unknown.
    const { configurationKey, unknownKey } = ctx.config.list(keys.slice(0, max));
    return { configurationKey, unknownKey: [...unknownKey, ...keys.slice(max)] };
  }
  const listed = ctx.config.list(keys);
  // AuthorizationKey is write-only: listed when asked for by name, never with its value.
  const configurationKey = listed.configurationKey;
  const unknownKey = listed.unknownKey.filter((k) => k !== AUTHORIZATION_KEY);
  if (keys?.includes(AUTHORIZATION_KEY)) configurationKey.push({ key: AUTHORIZATION_KEY, readonly: false });
  return unknownKey.length > 0 ? { configurationKey, unknownKey } : { configurationKey };
};

export const clearCache: CallHandler<'ClearCache'> = (_params, ctx) => {
  ctx.cache.clear();
  return { status: 'Accepted' };
};

export const dataTransfer: CallHandler<'DataTransfer'> = () => ({ status: 'UnknownVendorId' });

export const remoteStartTransaction: CallHandler<'RemoteStartTransaction'> = async ({ idTag, connectorId, chargingProfile }, ctx) => {
  if (ctx.session.state !== 'Accepted') return { status: 'Rejected' };
  if (connectorId !== undefined && (connectorId <= 0 || !ctx.controller.connector(connectorId))) return { status: 'Rejected' };
  let info;
  if (ctx.config.bool('AuthorizeRemoteTxRequests')) {
    const auth = await ctx.authorizer.authorize(idTag);
    if (!isValidStatus(auth.info, ctx.clock.now())) return { status: 'Rejected' };
    info = auth.info;
  } else {
    info = ctx.authorizer.known(idTag);
    if (!info || !isValidStatus(info, ctx.clock.now())) info = { status: 'Accepted' as const };
  }
  return { status: ctx.controller.remoteStart({ idTag, ...(connectorId !== undefined ? { connectorId } : {}), ...(chargingProfile ? { chargingProfile } : {}) }, info) };
};

export const remoteStopTransaction: CallHandler<'RemoteStopTransaction'> = ({ transactionId }, ctx) => {
  if (ctx.session.state !== 'Accepted') return { status: 'Rejected' };
  return { status: ctx.controller.remoteStop(transactionId) };
};

export const reset: CallHandler<'Reset'> = ({ type }, ctx) => {
  afterReply(() => ctx.requestReset(type));
  return { status: 'Accepted' };
};

export const unlockConnector: CallHandler<'UnlockConnector'> = async ({ connectorId }, ctx) => {
  const c = ctx.controller.connector(connectorId);
  if (!c || connectorId === 0) return { status: 'NotSupported' };
  if (c.transaction) await ctx.controller.stopTransaction(connectorId, 'UnlockCommand');
  return { status: 'Unlocked' };
};

