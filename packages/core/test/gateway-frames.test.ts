import { RPCClient } from 'ocpp-rpc';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assertInboundSeam } from '../src/ocpp/inbound-calls.js';
import { OCPP16_ERROR_CODES } from '../src/ocpp/ocpp16-errors.js';
import { RawClient, startGateway, type GatewayHarness } from './gateway-fixtures.js';

/**
 * Malformed frames over a real websocket: each gets the OCPP-J 1.6 answer, and the connection
 * keeps working afterwards (a Heartbeat on the same socket still gets its CALLRESULT).
 */

let harness: GatewayHarness | undefined;
let client: RawClient | undefined;

afterEach(async () => {
  await client?.close();
  await harness?.close();
  client = undefined;
  harness = undefined;
});

async function expectAlive(raw: RawClient): Promise<void> {
  const frame = await raw.heartbeat('alive-1');
  expect(frame[0]).toBe(3);
  expect(frame[1]).toBe('alive-1');
  expect(frame[2]).toMatchObject({ currentTime: expect.any(String) });
}

function expectCallError(frame: unknown, id: string, code: string): unknown[] {
  expect(Array.isArray(frame)).toBe(true);
  const parts = frame as unknown[];
  expect(parts).toHaveLength(5);
  expect(parts.slice(0, 3)).toEqual([4, id, code]);
  expect(typeof parts[3]).toBe('string');
  expect(parts[4]).toBeTypeOf('object');
  expect(OCPP16_ERROR_CODES).toContain(parts[2]);
  return parts;
}

const statusNotification = (extra: Record<string, unknown>) => ({
  connectorId: 1,
  errorCode: 'NoError',
  status: 'Available',
  ...extra,
});

describe.each([
  ['per-action handlers', false],
  ['a wildcard handler', true],
])('gateway frames with %s', (_name, wildcard) => {
  async function connect() {
    harness = await startGateway({ wildcard });
    client = await RawClient.connect(harness.port, 'CP1');
    return client;
  }

  it.each([
    ['invalid JSON', '[2,"m1","Heartbeat",{', '-1', 'FormationViolation'],
    ['a non-array', '{"type":2,"id":"m1"}', '-1', 'FormationViolation'],
    ['a string message type', '["2","m1","Heartbeat",{}]', '-1', 'FormationViolation'],
    ['a numeric message id', '[2,17,"Heartbeat",{}]', '-1', 'FormationViolation'],
    ['a non-string action', '[2,"m1",5,{}]', 'm1', 'FormationViolation'],
    ['an unknown action', '[2,"m1","FlyToTheMoon",{}]', 'm1', 'NotImplemented'],
    ['a wrongly cased action', '[2,"m1","bootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]', 'm1', 'NotImplemented'],
  ])('%s → %s', async (_case, text, id, code) => {
    const raw = await connect();
    raw.send(text);
    expectCallError(await raw.next(), id, code);
    await expectAlive(raw);
  });

  it.each([
    ['missing required field', statusNotification({ connectorId: undefined }), 'OccurenceConstraintViolation', { keyword: 'required', path: '', property: 'connectorId' }],
    ['"connectorId":"1"', statusNotification({ connectorId: '1' }), 'TypeConstraintViolation', { keyword: 'type', path: '/connectorId' }],
    ['a bad enum value', statusNotification({ status: 'Sleeping' }), 'PropertyConstraintViolation', { keyword: 'enum', path: '/status' }],
    ['a too-long string', statusNotification({ info: 'i'.repeat(51) }), 'PropertyConstraintViolation', { keyword: 'maxLength', path: '/info' }],
    ['an additional property', statusNotification({ colour: 'green' }), 'FormationViolation', { keyword: 'additionalProperties', path: '', property: 'colour' }],
  ])('StatusNotification with %s → %s', async (_case, payload, code, details) => {
    const raw = await connect();
    raw.send([2, 's1', 'StatusNotification', payload]);
    const frame = expectCallError(await raw.next(), 's1', code);
    expect(frame[4]).toEqual(details);
    await expectAlive(raw);
  });

  it('a null payload → TypeConstraintViolation', async () => {
    const raw = await connect();
    raw.send([2, 'n1', 'Heartbeat', null]);
    expectCallError(await raw.next(), 'n1', 'TypeConstraintViolation');
    await expectAlive(raw);
  });

  it('an unknown numeric message type is not answered (J16 §4.1.3) and the connection lives on', async () => {
    const raw = await connect();
    raw.send([7, 'u1', 'Heartbeat', {}]);
    raw.send([99]);
    // Frames are answered in order: the first frame back must be the Heartbeat's CALLRESULT.
    await expectAlive(raw);
    expect(harness?.log.some((line) => line.obj.event === 'ocpp-ignored-frame')).toBe(true);
  });

  it('the same CALL resent while the first is in flight is answered with the first one\'s result, handled once', async () => {
    const raw = await connect();
    const key = `dup-${wildcard}`;
    const call = [2, 'dup', 'DataTransfer', { vendorId: 'test', data: `block:${key}` }];
    raw.send(call);
    raw.send(call);
    raw.send(call);
    // Frames are handled in order: the Heartbeat's answer proves the copies were read.
    expect(await raw.heartbeat('hb-dup')).toEqual([3, 'hb-dup', expect.anything()]);
    expect(harness?.handled.filter((action) => action === 'DataTransfer')).toHaveLength(1);
    harness?.release(key);
    for (let i = 0; i < 3; i++) expect(await raw.next()).toEqual([3, 'dup', { status: 'Accepted' }]);
    expect(harness?.handled.filter((action) => action === 'DataTransfer')).toHaveLength(1);
    expect(harness?.log.filter((line) => line.level === 'info' && line.msg?.startsWith('same CALL received again'))).toHaveLength(2);
    await expectAlive(raw);
  });

  it('another action under a message id still in flight → ProtocolError, and the first call still completes', async () => {
    const raw = await connect();
    const key = `collide-${wildcard}`;
    raw.send([2, 'dup', 'DataTransfer', { vendorId: 'test', data: `block:${key}` }]);
    raw.send([2, 'dup', 'Heartbeat', {}]);
    expectCallError(await raw.next(), 'dup', 'ProtocolError');
    harness?.release(key);
    expect(await raw.next()).toEqual([3, 'dup', { status: 'Accepted' }]);
    await expectAlive(raw);
  });

  it('a CALLRESULT or CALLERROR for an unknown id is not answered', async () => {
    const raw = await connect();
    raw.send([3, 'nobody-asked', {}]);
    raw.send([4, 'nobody-asked', 'GenericError', '', {}]);
    await expectAlive(raw);
  });

  it('logs one line per CALLERROR sent, with the original and the 1.6 code, never the payload', async () => {
    const raw = await connect();
    raw.send([2, 'x1', 'Heartbeat', { secretField: 'SECRET-VALUE' }]);
    expectCallError(await raw.next(), 'x1', 'FormationViolation');
    const lines = harness?.log.filter((line) => line.obj.event === 'ocpp-callerror') ?? [];
    expect(lines).toHaveLength(1);
    expect(lines[0]?.obj).toMatchObject({
      identity: 'CP1',
      messageId: 'x1',
      errorCode: 'FormationViolation',
      originalCode: 'PropertyConstraintViolation',
    });
    expect(JSON.stringify(harness?.log)).not.toContain('SECRET-VALUE');
  });
});

describe('gateway frame limits', () => {
  it('an oversize frame closes the connection with 1009; the server and a reconnect work', async () => {
    harness = await startGateway({ options: { maxPayload: 4096 } });
    const raw = await RawClient.connect(harness.port, 'CP1');
    raw.send([2, 'big', 'DataTransfer', { vendorId: 'test', data: 'x'.repeat(5000) }]);
    const closed = await raw.closed;
    expect(closed.code).toBe(1009);
    await expect.poll(() => harness?.disconnects.length).toBe(1);
    expect(harness.disconnects[0]?.code).toBe(1009);
    expect(harness.log.some((line) => line.obj.event === 'ocpp-frame-too-large')).toBe(true);
    // No CALLERROR: the frame was never read.
    expect(harness.log.some((line) => line.obj.event === 'ocpp-callerror')).toBe(false);

    client = await RawClient.connect(harness.port, 'CP1');
    await expectAlive(client);
    // A frame just under the cap is fine.
    client.send([2, 'fits', 'DataTransfer', { vendorId: 'test', data: 'x'.repeat(3000) }]);
    expect(await client.next()).toEqual([3, 'fits', { status: 'Accepted' }]);
  });

  it('maxBadMessages consecutive bad frames are answered; the next one closes with 1002', async () => {
    harness = await startGateway({ options: { maxBadMessages: 3 } });
    const raw = await RawClient.connect(harness.port, 'CP1');
    for (let i = 0; i < 3; i++) {
      raw.send('not json');
      expectCallError(await raw.next(), '-1', 'FormationViolation');
    }
    raw.send('not json');
    const closed = await raw.closed;
    expect(closed.code).toBe(1002);
  });

  it('a good frame resets the bad-frame count', async () => {
    harness = await startGateway({ options: { maxBadMessages: 2 } });
    client = await RawClient.connect(harness.port, 'CP1');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++) {
        client.send('[');
        expectCallError(await client.next(), '-1', 'FormationViolation');
      }
      await expectAlive(client);
    }
  });

  it('schema errors in CALLs do not count as bad frames', async () => {
    harness = await startGateway({ options: { maxBadMessages: 1 } });
    client = await RawClient.connect(harness.port, 'CP1');
    for (let i = 0; i < 5; i++) {
      client.send([2, `s${i}`, 'StatusNotification', statusNotification({ status: 'Nope' })]);
      expectCallError(await client.next(), `s${i}`, 'PropertyConstraintViolation');
    }
    await expectAlive(client);
  });
});

describe('gateway inbound calls (inbound-calls.ts)', () => {
  it("a handler's signal aborts when its own connection closes, not another's", async () => {
    const open = { securityProfile: 0, authKeyHash: null } as const;
    harness = await startGateway({ chargePoints: { CP1: open, CP2: open } });
    const one = await RawClient.connect(harness.port, 'CP1');
    client = await RawClient.connect(harness.port, 'CP2');
    const signals = new Map<string, AbortSignal>();
    for (const { client: connected, info } of harness.connections) {
      connected.handle('Authorize', ({ signal }) => {
        if (signal) signals.set(info.identity, signal);
        return new Promise(() => {}); // never answers
      });
    }
    one.send([2, 'a1', 'Authorize', { idTag: 'T' }]);
    client.send([2, 'a2', 'Authorize', { idTag: 'T' }]);
    await expectAlive(one);
    await expectAlive(client);
    expect([...signals.keys()].sort()).toEqual(['CP1', 'CP2']);
    expect(signals.get('CP1')?.aborted).toBe(false);

    await one.close();
    await vi.waitFor(() => expect(signals.get('CP1')?.aborted).toBe(true));
    expect(signals.get('CP2')?.aborted).toBe(false);
    await expectAlive(client);
  });

  it('a handler that throws synchronously gets a CALLERROR, and the connection goes on', async () => {
    harness = await startGateway();
    client = await RawClient.connect(harness.port, 'CP1');
    harness.connections[0]?.client.handle('Authorize', () => {
      throw new Error('boom');
    });
    client.send([2, 't1', 'Authorize', { idTag: 'T' }]);
    expectCallError(await client.next(), 't1', 'GenericError');
    await expectAlive(client);
  });

  it('an answer that breaks the 1.6 schema goes out as InternalError and is logged as our error', async () => {
    harness = await startGateway();
    client = await RawClient.connect(harness.port, 'CP1');
    harness.connections[0]?.client.handle('Authorize', async () => ({ idTagInfo: { status: 'Maybe' } }));
    client.send([2, 'bad-answer', 'Authorize', { idTag: 'T' }]);
    expectCallError(await client.next(), 'bad-answer', 'InternalError');
    const lines = harness.log.filter((line) => line.level === 'error' && line.msg?.includes('broke the OCPP 1.6 schema'));
    expect(lines.map((line) => [line.obj.identity, line.obj.action])).toEqual([['CP1', 'Authorize']]);
    await expectAlive(client);
  });

  it('a CALLRESULT for a call we never made is logged at debug and not answered', async () => {
    harness = await startGateway();
    client = await RawClient.connect(harness.port, 'CP1');
    client.send([3, 'never-asked', {}]);
    await expectAlive(client);
    expect(harness.log.filter((line) => line.msg === 'Ignored an OCPP frame').map((line) => line.level)).toEqual(['debug']);
  });

  it('closes a connection with 1011 when its ocpp-rpc client has no handler registry to read', async () => {
    harness = await startGateway();
    // As if a different ocpp-rpc were installed: the client lacks `_handlers` when the gateway sees it.
    harness.gateway.rpcServer.prependListener('client', (connected: { _handlers?: unknown }) => {
      delete connected._handlers;
    });
    const raw = await RawClient.connect(harness.port, 'CP1');
    expect((await raw.closed).code).toBe(1011);
    expect(harness.log.some((line) => line.level === 'error' && line.msg?.includes("cannot read this connection's frames"))).toBe(true);
  });

  it('refuses to start on an ocpp-rpc without the private members it reads frames through', () => {
    expect(() => assertInboundSeam({ _onMessage() {}, sendRaw() {}, close() {} })).toThrow(/_onCallResult, _onCallError.*inbound-calls\.ts/);
    expect(() => assertInboundSeam(RPCClient.prototype)).not.toThrow();
  });
});
