import type { CentralSystemActions } from '@charge-it/core';
import type { DashboardServices } from '../core-api.js';

/** A field of an operator command form. */
export interface CommandField {
  name: string;
  label: string;
  kind: 'connector' | 'connector0' | 'text' | 'number' | 'select' | 'datetime' | 'checkbox' | 'transaction' | 'reservation';
  options?: readonly string[];
  required?: boolean;
  placeholder?: string;
  hint?: string;
}

export interface CommandSpec {
  key: string;
  action: string;
  label: string;
  description: string;
  fields: readonly CommandField[];
  danger?: boolean;
}

export const COMMANDS: readonly CommandSpec[] = [
  { key: 'remote-start', action: 'RemoteStartTransaction', label: 'Remote start', description: 'Start a session on a connector for an idTag.', fields: [
    { name: 'connectorId', label: 'Connector', kind: 'connector', required: true },
    { name: 'idTag', label: 'idTag', kind: 'text', required: true, placeholder: 'DEMO-123' }] },
  { key: 'remote-stop', action: 'RemoteStopTransaction', label: 'Remote stop', description: 'Stop a running session.', fields: [
    { name: 'transactionId', label: 'Session', kind: 'transaction', required: true }] },
  { key: 'reset', action: 'Reset', label: 'Reset', description: 'Restart the charge point (Soft ends sessions first).', danger: true, fields: [
    { name: 'type', label: 'Type', kind: 'select', options: ['Soft', 'Hard'], required: true }] },
  { key: 'unlock', action: 'UnlockConnector', label: 'Unlock connector', description: 'Release the cable of a connector.', fields: [
    { name: 'connectorId', label: 'Connector', kind: 'connector', required: true }] },
  { key: 'availability', action: 'ChangeAvailability', label: 'Change availability', description: 'Take a connector (or the whole charge point, 0) in or out of service.', fields: [
    { name: 'connectorId', label: 'Connector', kind: 'connector0', required: true },
    { name: 'type', label: 'Availability', kind: 'select', options: ['Operative', 'Inoperative'], required: true }] },
  { key: 'trigger', action: 'TriggerMessage', label: 'Trigger message', description: 'Ask the charge point to send a message now.', fields: [
    { name: 'requestedMessage', label: 'Message', kind: 'select', options: ['StatusNotification', 'Heartbeat', 'MeterValues', 'BootNotification', 'FirmwareStatusNotification', 'DiagnosticsStatusNotification'], required: true },
    { name: 'connectorId', label: 'Connector', kind: 'connector0' }] },
  { key: 'clear-cache', action: 'ClearCache', label: 'Clear authorization cache', description: 'Empty the charge point’s cache of idTags.', fields: [] },
  { key: 'local-list', action: 'SendLocalList', label: 'Sync local list', description: 'Send the idTag table as the charge point’s local authorization list.', fields: [
    { name: 'full', label: 'Full update (not differential)', kind: 'checkbox' }] },
  { key: 'firmware', action: 'UpdateFirmware', label: 'Update firmware', description: 'Point the charger at a firmware file (URL).', danger: true, fields: [
    { name: 'location', label: 'Firmware URL', kind: 'text', required: true, placeholder: 'https://…/firmware.bin' },
    { name: 'retrieveDate', label: 'Retrieve at', kind: 'datetime', hint: 'Empty: now' }] },
  { key: 'diagnostics', action: 'GetDiagnostics', label: 'Get diagnostics', description: 'Ask for a diagnostics upload (to this server unless a URL is given).', fields: [
    { name: 'location', label: 'Upload URL (optional)', kind: 'text', placeholder: 'ftp://…' }] },
  { key: 'reserve', action: 'ReserveNow', label: 'Reserve', description: 'Hold a connector for an idTag until a time.', fields: [
    { name: 'connectorId', label: 'Connector', kind: 'connector0', required: true },
    { name: 'idTag', label: 'idTag', kind: 'text', required: true },
    { name: 'expiryMinutes', label: 'For (minutes)', kind: 'number', required: true, placeholder: '30' }] },
  { key: 'cancel-reservation', action: 'CancelReservation', label: 'Cancel reservation', description: 'End a reservation early.', fields: [
    { name: 'reservationId', label: 'Reservation', kind: 'reservation', required: true }] },
];

export class FieldErrors extends Error {
  constructor(readonly fields: Record<string, string>) {
    super(Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('; '));
  }
}

const int = (values: Record<string, string>, name: string, errors: Record<string, string>, min = 0): number => {
  const raw = values[name] ?? '';
  const n = Number(raw);
  if (raw === '' || !Number.isInteger(n) || n < min) errors[name] = min > 0 ? 'must be a whole number ≥ 1' : 'must be a whole number ≥ 0';
  return n;
};
const text = (values: Record<string, string>, name: string, errors: Record<string, string>, max = 20): string => {
  const v = values[name] ?? '';
  if (!v) errors[name] = 'is required';
  else if (v.length > max) errors[name] = `must be at most ${max} characters`;
  return v;
};

/** Runs one operator command through the core's services; returns the charger's answer. */
export async function runCommand(svc: DashboardServices, chargePointId: string, spec: CommandSpec, values: Record<string, string>, actor: string): Promise<unknown> {
  const commands = svc.commands();
  const errors: Record<string, string> = {};
  const send = <A extends keyof CentralSystemActions>(action: A, request: CentralSystemActions[A]['request']) => {
    if (Object.keys(errors).length) throw new FieldErrors(errors);
    return commands.send(chargePointId, action, request, { actor });
  };
  switch (spec.key) {
    case 'remote-start': {
      const connectorId = int(values, 'connectorId', errors, 1);
      const idTag = text(values, 'idTag', errors);
      return send('RemoteStartTransaction', { connectorId, idTag });
    }
    case 'remote-stop':
      return send('RemoteStopTransaction', { transactionId: int(values, 'transactionId', errors) });
    case 'reset': {
      const type = values.type === 'Hard' ? 'Hard' : values.type === 'Soft' ? 'Soft' : ((errors.type = 'must be Soft or Hard'), 'Soft');
      return send('Reset', { type });
    }
    case 'unlock':
      return send('UnlockConnector', { connectorId: int(values, 'connectorId', errors, 1) });
    case 'availability': {
      const connectorId = int(values, 'connectorId', errors);
      const type = values.type === 'Operative' || values.type === 'Inoperative' ? values.type : ((errors.type = 'must be Operative or Inoperative'), 'Operative');
      return send('ChangeAvailability', { connectorId, type });
    }
    case 'trigger': {
      const requestedMessage = values.requestedMessage ?? '';
      const allowed = spec.fields[0]!.options!;
      if (!allowed.includes(requestedMessage)) errors.requestedMessage = 'pick a message';
      const connectorId = values.connectorId ? int(values, 'connectorId', errors) : undefined;
      return send('TriggerMessage', { requestedMessage, ...(connectorId ? { connectorId } : {}) } as CentralSystemActions['TriggerMessage']['request']);
    }
    case 'clear-cache':
      return send('ClearCache', {} as CentralSystemActions['ClearCache']['request']);
    case 'local-list':
      return svc.localList().sync(chargePointId, { actor, full: values.full === 'on' });
    case 'firmware': {
      const location = values.location ?? '';
      if (!/^(https?|ftps?):\/\/\S+$/i.test(location)) errors.location = 'must be an http(s):// or ftp(s):// URL';
      const retrieveDate = values.retrieveDate ? new Date(values.retrieveDate) : new Date();
      if (Number.isNaN(retrieveDate.getTime())) errors.retrieveDate = 'is not a date';
      if (Object.keys(errors).length) throw new FieldErrors(errors);
      return svc.firmware().updateFirmware(chargePointId, { location, retrieveDate: retrieveDate.toISOString(), actor });
    }
    case 'diagnostics': {
      const location = values.location ?? '';
      if (location && !/^(https?|ftps?):\/\/\S+$/i.test(location)) errors.location = 'must be an http(s):// or ftp(s):// URL, or empty';
      if (Object.keys(errors).length) throw new FieldErrors(errors);
      return svc.firmware().requestDiagnostics(chargePointId, { actor, ...(location ? { location } : {}) });
    }
    case 'reserve': {
      const connectorId = int(values, 'connectorId', errors);
      const idTag = text(values, 'idTag', errors);
      const minutes = int(values, 'expiryMinutes', errors, 1);
      if (Object.keys(errors).length) throw new FieldErrors(errors);
      return svc.reservations().reserve({ chargePointId, connectorId, idTag, expiryDate: new Date(Date.now() + minutes * 60_000), actor });
    }
    case 'cancel-reservation': {
      const id = int(values, 'reservationId', errors, 1);
      if (Object.keys(errors).length) throw new FieldErrors(errors);
      return svc.reservations().cancel(id, actor, { chargePointId });
    }
    default:
      throw new FieldErrors({ _form: 'unknown command' });
  }
}
