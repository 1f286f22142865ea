import { isValidStatus } from '../ocpp-types.js';
import { afterReply, type CallHandler } from './handler-context.js';

export const changeAvailability: CallHandler = ({ connectorId, type }, ctx) => ({ status: ctx.controller.changeAvailability(connectorId, type) });

export const changeConfiguration: CallHandler = ({ key, value }, ctx) => {
  if (key === 'WebSocketPingInterval' && /^-/.test(String(value))) return { status: 'Rejected' };
  const status = ctx.config.change(String(key), String(value));
  if (status === 'Accepted' && key === 'WebSocketPingInterval') ctx.connection.setPingInterval(ctx.config.int(key));
  return { status };
};

export const getConfiguration: CallHandler = ({ key }, ctx) => {
  const max = ctx.config.int('GetConfigurationMaxKeys');
  const keys: string[] | undefined = Array.isArray(key) ? key : undefined;
  if (keys && max > 0 && keys.length > max) {
    // More keys than GetConfigurationMaxKeys: answer the first ones, list the rest as unknown.
    const { configurationKey, unknownKey } = ctx.config.list(keys.slice(0, max));
    return { configurationKey, unknownKey: [...unknownKey, ...keys.slice(max)] };
  }
  const { configurationKey, unknownKey } = ctx.config.list(keys);
  return unknownKey.length > 0 ? { configurationKey, unknownKey } : { configurationKey };
};

export const clearCache: CallHandler = (_params, ctx) => {
  ctx.cache.clear();
  return { status: 'Accepted' };
};

export const dataTransfer: CallHandler = () => ({ status: 'UnknownVendorId' });

export const remoteStartTransaction: CallHandler = async ({ idTag, connectorId, chargingProfile }, ctx) => {
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

export const remoteStopTransaction: CallHandler = ({ transactionId }, ctx) => {
  if (ctx.session.state !== 'Accepted') return { status: 'Rejected' };
  return { status: ctx.controller.remoteStop(transactionId) };
};

export const reset: CallHandler = ({ type }, ctx) => {
  afterReply(() => ctx.requestReset(type));
  return { status: 'Accepted' };
};

export const unlockConnector: CallHandler = async ({ connectorId }, ctx) => {
  const c = ctx.controller.connector(connectorId);
  if (!c || connectorId === 0) return { status: 'NotSupported' };
  if (c.transaction) await ctx.controller.stopTransaction(connectorId, 'UnlockCommand');
  return { status: 'Unlocked' };
};

