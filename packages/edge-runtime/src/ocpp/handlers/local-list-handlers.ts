import type { CallHandler } from './handler-context.js';

export const getLocalListVersion: CallHandler<'GetLocalListVersion'> = (_params, ctx) => ({
  listVersion: ctx.config.bool('LocalAuthListEnabled') ? ctx.localList.version : -1,
});

export const sendLocalList: CallHandler<'SendLocalList'> = (params, ctx) => {
  if (!ctx.config.bool('LocalAuthListEnabled')) return { status: 'NotSupported' };
  const items = params.localAuthorizationList ?? [];
  if (items.length > ctx.config.int('SendLocalListMaxLength')) return { status: 'Failed' };
  return { status: ctx.localList.update(params, ctx.config.int('LocalAuthListMaxLength')) };
};
