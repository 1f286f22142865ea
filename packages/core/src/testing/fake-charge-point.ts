import type { RequestOptions } from 'node:https';
import { RPCClient } from 'ocpp-rpc';
import type { ChargePointAction, ChargePointActions, MeterValue } from '../ocpp/v16/messages.js';

export interface FakeChargePointOptions {
  /** Full websocket URL including the identity, e.g. `testCsms.ocppUrlFor('CP-1')`. */
  url: string;
  identity: string;
  password?: string | Buffer;
  /** Validate our own calls and the CSMS's answers against the 1.6 schemas (default true). */
  strictMode?: boolean;
  callTimeoutMs?: number;
  /** Options for the underlying `ws` client (TLS and HTTP request options), e.g. `{ ca }` to trust a test certificate for wss://. */
  wsOpts?: RequestOptions;
}

/**
 * A small scripted OCPP 1.6J charge point on ocpp-rpc's RPCClient, with typed calls. It does what
 * the test tells it to and nothing else (no heartbeats, no reconnects).
 */
export class FakeChargePoint {
  readonly client: RPCClient;
  readonly identity: string;

  constructor(options: FakeChargePointOptions) {
    this.identity = options.identity;
    const url = options.url.endsWith(`/${encodeURIComponent(options.identity)}`)
      ? options.url.slice(0, -(encodeURIComponent(options.identity).length + 1))
      : options.url;
    this.client = new RPCClient({
      endpoint: url,
      identity: options.identity,
      protocols: ['ocpp1.6'],
      strictMode: options.strictMode ?? true,
      reconnect: false,
      callTimeoutMs: options.callTimeoutMs ?? 10_000,
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.wsOpts !== undefined ? { wsOpts: options.wsOpts } : {}),
    } as ConstructorParameters<typeof RPCClient>[0]);
  }

  connect(): Promise<unknown> {
    return this.client.connect();
  }

  call<A extends ChargePointAction>(action: A, params: ChargePointActions[A]['request']): Promise<ChargePointActions[A]['response']> {
    return this.client.call(action, params) as Promise<ChargePointActions[A]['response']>;
  }

  /** Answers a central-system call (e.g. 'Reset'). */
  handle(action: string, handler: (params: any) => unknown): void {
    this.client.handle(action, async ({ params }) => (await handler(params)) as Record<string, unknown>);
  }

  boot(overrides: Partial<ChargePointActions['BootNotification']['request']> = {}) {
    return this.call('BootNotification', { chargePointVendor: 'Charge-IT', chargePointModel: 'Fake', ...overrides });
  }

  heartbeat() {
    return this.call('Heartbeat', {} as ChargePointActions['Heartbeat']['request']);
  }

  status(
    connectorId: number,
    status: ChargePointActions['StatusNotification']['request']['status'],
    errorCode: ChargePointActions['StatusNotification']['request']['errorCode'] = 'NoError',
    timestamp = new Date().toISOString(),
  ) {
    return this.call('StatusNotification', { connectorId, status, errorCode, timestamp });
  }

  authorize(idTag: string) {
    return this.call('Authorize', { idTag });
  }

  startTransaction(params: { connectorId?: number; idTag: string; meterStart: number; timestamp?: string; reservationId?: number }) {
    return this.call('StartTransaction', {
      connectorId: params.connectorId ?? 1,
      idTag: params.idTag,
      meterStart: params.meterStart,
      timestamp: params.timestamp ?? new Date().toISOString(),
      ...(params.reservationId !== undefined ? { reservationId: params.reservationId } : {}),
    });
  }

  /** Sends one Energy.Active.Import.Register sample (Wh) plus any extra sampled values. */
  meterValues(params: { connectorId?: number; transactionId?: number; energyWh?: number; timestamp?: string; meterValue?: MeterValue[] }) {
    const meterValue = params.meterValue ?? [
      {
        timestamp: params.timestamp ?? new Date().toISOString(),
        sampledValue: [{ value: String(params.energyWh ?? 0), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' }],
      },
    ];
    return this.call('MeterValues', {
      connectorId: params.connectorId ?? 1,
      ...(params.transactionId !== undefined ? { transactionId: params.transactionId } : {}),
      meterValue,
    });
  }

  stopTransaction(params: ChargePointActions['StopTransaction']['request'] | (Omit<ChargePointActions['StopTransaction']['request'], 'timestamp'> & { timestamp?: string })) {
    return this.call('StopTransaction', { ...params, timestamp: params.timestamp ?? new Date().toISOString() });
  }

  async close(): Promise<void> {
    await this.client.close({ code: 1000, force: true });
  }
}
