import { afterReply, type CallHandler } from './handler-context.js';

/** TriggerMessage (S16 §5.17): answers first, then sends the requested message (allowed while Pending). */
export const triggerMessage: CallHandler<'TriggerMessage'> = ({ requestedMessage, connectorId }, ctx) => {
  if (connectorId !== undefined && (connectorId < 0 || !ctx.controller.connector(connectorId))) return { status: 'Rejected' };
  const send = (action: string, payload: Record<string, unknown>) => () =>
    ctx.session.send(action, payload, { triggered: true }).catch((err: unknown) => ctx.log.warn({ action, err: err instanceof Error ? err.message : String(err) }, 'triggered message failed'));
  switch (requestedMessage) {
    case 'BootNotification':
      afterReply(() => ctx.session.triggerBoot());
      break;
    case 'DiagnosticsStatusNotification':
      afterReply(send('DiagnosticsStatusNotification', { status: ctx.diagnosticsStatus.value }));
      break;
    case 'FirmwareStatusNotification':
      afterReply(send('FirmwareStatusNotification', { status: ctx.firmwareStatus.value }));
      break;
    case 'Heartbeat':
      afterReply(send('Heartbeat', {}));
      break;
    case 'MeterValues':
      afterReply(() => ctx.controller.triggerMeterValues(connectorId));
      break;
    case 'StatusNotification':
      afterReply(() => ctx.controller.triggerStatus(connectorId));
      break;
    default:
      return { status: 'NotImplemented' };
  }
  return { status: 'Accepted' };
};
