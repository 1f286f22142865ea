import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import ModbusSerial from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import type { GpioFactory, GpioInput } from '../src/cable/gpio-input.js';
import { openSysfsGpio } from '../src/cable/gpio-input.js';
import { loadEdgeConfig } from '../src/config/edge-config.js';
import { until, useChargePointTestEnv } from './support/test-charge-point.js';

/* Cable/EV detection per connector (edge.json `connectors[].cable`), each source with a real charge
 * point against the scripted central system: what the central system sees (StatusNotification,
 * StartTransaction, StopTransaction) is the proof. */

/** An emulated GPIO line: the test sets the electrical level; counts reads. */
class EmulatedLine implements GpioInput {
  level: 0 | 1;
  reads = 0;
  closed = false;
  constructor(level: 0 | 1) {
    this.level = level;
  }
  async read(): Promise<0 | 1> {
    this.reads++;
    return this.level;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const { ServerTCP } = ModbusSerial as unknown as typeof import('modbus-serial');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A Modbus TCP device on loopback with holding and input registers the test sets. */
async function startModbusDevice(): Promise<{ port: number; holding: Map<number, number>; input: Map<number, number>; close(): Promise<void> }> {
  const port = await freePort();
  const holding = new Map<number, number>();
  const input = new Map<number, number>();
  const server = new ServerTCP(
    { getHoldingRegister: (a: number) => holding.get(a) ?? 0, getInputRegister: (a: number) => input.get(a) ?? 0 },
    { host: '127.0.0.1', port, unitID: 1 },
  );
  await new Promise<void>((resolve, reject) => {
    server.on('initialized', () => resolve());
    server.on('serverError', reject);
  });
  return { port, holding, input, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const statusIs = (status: string, connectorId = 1) => (p: { connectorId: number; status: string }) => p.connectorId === connectorId && p.status === status;

describe('cable detection: always (the default for a plain outlet)', () => {
  const env = useChargePointTestEnv();

  it('is the default in edge.json', () => {
    const config = loadEdgeConfig({ identity: 'CP-1', csmsUrl: 'ws://127.0.0.1:1', connectors: [{}, { cable: 'manual' }] }, {});
    expect(config.connectors.map((c) => c.cable)).toEqual([{ kind: 'always' }, { kind: 'manual' }]);
  });

  it('a tap starts charging at once; the same tap stops it and the connector is Available again (no cable to pull)', async () => {
    const { csms } = env;
    const { cp } = await env.start({ connectors: [{ maxPowerW: 7_400, cable: 'always' }] });
    await csms.waitFor('StatusNotification', statusIs('Available'));
    expect(await cp.presentCard({ idTag: 'CARD-A', source: 'test' })).toEqual({ result: 'started', connectorId: 1 });
    const start = await csms.waitFor('StartTransaction');
    expect(start.params).toMatchObject({ connectorId: 1, idTag: 'CARD-A' });
    await csms.waitFor('StatusNotification', statusIs('Charging'));
    expect(cp.state.connectors[1]).toMatchObject({ cable: 'always', plugged: true, status: 'Charging' });
    expect(await cp.presentCard({ idTag: 'CARD-A', source: 'test' })).toEqual({ result: 'stopped', connectorId: 1 });
    await csms.waitFor('StopTransaction', (p) => p.reason === 'Local');
    await csms.waitFor('StatusNotification', statusIs('Available'), 2);
    // Never Preparing (no wait for a cable) and never Finishing (no cable left in).
    expect(csms.callsOf('StatusNotification').filter((c) => c.params.connectorId === 1).map((c) => c.params.status)).toEqual(['Available', 'Charging', 'Available']);
  });

  it('RemoteStartTransaction starts a transaction at once', async () => {
    const { csms } = env;
    await env.start({ connectors: [{ cable: 'always' }] });
    await csms.waitFor('StatusNotification', statusIs('Available'));
    expect(await csms.callCp('RemoteStartTransaction', { idTag: 'REMOTE-1', connectorId: 1 })).toEqual({ status: 'Accepted' });
    const start = await csms.waitFor('StartTransaction');
    expect(start.params).toMatchObject({ connectorId: 1, idTag: 'REMOTE-1' });
    await csms.waitFor('StatusNotification', statusIs('Charging'));
  });
});

describe('cable detection: GPIO input', () => {
  const env = useChargePointTestEnv();

  it('active-low line: pulled low = EV connected (Preparing), a tap starts, the line going high stops the session (EVDisconnected)', async () => {
    const { csms } = env;
    const line = new EmulatedLine(1);
    const opened: Array<Parameters<GpioFactory>[0]> = [];
    const gpio: GpioFactory = async (spec) => {
      opened.push(spec);
      return line;
    };
    const { cp } = await env.start({ connectors: [{ cable: { kind: 'gpio', line: 17, activeLevel: 'low', debounceMs: 30, pollMs: 5 } }] }, { gpio });
    expect(opened).toEqual([{ line: 17 }]);
    await csms.waitFor('StatusNotification', statusIs('Available'));
    line.level = 0;
    await csms.waitFor('StatusNotification', statusIs('Preparing'));
    expect(cp.state.connectors[1]?.plugged).toBe(true);
    expect(await cp.presentCard({ idTag: 'CARD-G', source: 'test' })).toEqual({ result: 'started', connectorId: 1 });
    await csms.waitFor('StatusNotification', statusIs('Charging'));
    line.level = 1;
    const stop = await csms.waitFor('StopTransaction');
    expect(stop.params.reason).toBe('EVDisconnected');
    await csms.waitFor('StatusNotification', statusIs('Available'), 2);
    await cp.stop();
    expect(line.closed).toBe(true);
  });

  it('a tap before the cable waits (Preparing) and the line going active starts the transaction', async () => {
    const { csms } = env;
    const line = new EmulatedLine(0);
    const { cp } = await env.start({ connectors: [{ cable: { kind: 'gpio', line: 4, debounceMs: 0, pollMs: 5 } }] }, { gpio: async () => line });
    await csms.waitFor('StatusNotification', statusIs('Available'));
    expect(await cp.presentCard({ idTag: 'CARD-G', source: 'test' })).toMatchObject({ result: 'started', reason: 'authorised; waiting for the cable' });
    await csms.waitFor('StatusNotification', statusIs('Preparing'));
    expect(csms.callsOf('StartTransaction')).toEqual([]);
    line.level = 1;
    await csms.waitFor('StartTransaction');
    await csms.waitFor('StatusNotification', statusIs('Charging'));
  });

  it('sysfs: finds the SoC chip by label (base 512 on recent Pi kernels), exports the line, reads its value', async () => {
    const root = join(env.dir, 'sys-class-gpio');
    for (const [name, base, label] of [
      ['gpiochip512', 512, 'pinctrl-bcm2711'],
      ['gpiochip570', 570, 'raspberrypi-exp-gpio'],
    ] as const) {
      mkdirSync(join(root, name), { recursive: true });
      writeFileSync(join(root, name, 'base'), `${base}\n`);
      writeFileSync(join(root, name, 'label'), `${label}\n`);
    }
    writeFileSync(join(root, 'export'), '');
    // Not exported yet: the runtime writes the sysfs number (512 + 17) to export.
    const line = await openSysfsGpio({ line: 17, sysfsRoot: root });
    expect(readFileSync(join(root, 'export'), 'utf8')).toBe('529');
    // What the kernel would do on export:
    mkdirSync(join(root, 'gpio529'));
    writeFileSync(join(root, 'gpio529', 'value'), '1\n');
    expect(await line.read()).toBe(1);
    writeFileSync(join(root, 'gpio529', 'value'), '0\n');
    expect(await line.read()).toBe(0);
    // Already exported: nothing written to export, direction set to in.
    writeFileSync(join(root, 'export'), '');
    const again = await openSysfsGpio({ line: 17, sysfsRoot: root, chip: 'pinctrl-bcm2711' });
    expect(readFileSync(join(root, 'export'), 'utf8')).toBe('');
    expect(readFileSync(join(root, 'gpio529', 'direction'), 'utf8')).toBe('in');
    expect(await again.read()).toBe(0);
    writeFileSync(join(root, 'gpio529', 'value'), 'x\n');
    await expect(again.read()).rejects.toThrow(/reads "x", expected 0 or 1/);
    await expect(openSysfsGpio({ line: 17, sysfsRoot: root, chip: 'pinctrl-rp1' })).rejects.toThrow(/no GPIO chip labelled "pinctrl-rp1".*pinctrl-bcm2711@512/);
    await expect(openSysfsGpio({ line: 17, sysfsRoot: join(env.dir, 'nope') })).rejects.toThrow(/no GPIO sysfs at/);
  });
});

describe('cable detection: Modbus register', () => {
  const env = useChargePointTestEnv();
  let device: Awaited<ReturnType<typeof startModbusDevice>> | undefined;
  afterEach(async () => {
    await device?.close();
    device = undefined;
  });

  it('an EVSE controller state register (1 = no vehicle, 2/3 = vehicle connected/charging) drives the cable', async () => {
    const { csms } = env;
    device = await startModbusDevice();
    device.holding.set(5, 1);
    const { cp } = await env.start({
      connectors: [
        {
          cable: {
            kind: 'modbus',
            connection: { kind: 'modbus-tcp', host: '127.0.0.1', port: device.port, unitId: 1, timeoutMs: 2_000 },
            register: { address: 5, function: 'holding', type: 'uint16' },
            connectedWhen: { equals: [2, 3] },
            pollMs: 20,
          },
        },
      ],
    });
    await csms.waitFor('StatusNotification', statusIs('Available'));
    device.holding.set(5, 2);
    await csms.waitFor('StatusNotification', statusIs('Preparing'));
    expect(await cp.presentCard({ idTag: 'CARD-M', source: 'test' })).toEqual({ result: 'started', connectorId: 1 });
    await csms.waitFor('StatusNotification', statusIs('Charging'));
    device.holding.set(5, 3); // still connected: nothing changes
    device.holding.set(5, 1);
    const stop = await csms.waitFor('StopTransaction');
    expect(stop.params.reason).toBe('EVDisconnected');
  });

  it('without "connection" it reads the connector\'s own Modbus meter link (min/max rule)', async () => {
    const { csms } = env;
    device = await startModbusDevice();
    device.input.set(100, 0);
    await env.start(
      {
        connectors: [
          {
            meter: { kind: 'modbus-tcp', host: '127.0.0.1', port: device.port, unitId: 1, registers: { energy: { address: 0 } }, timeoutMs: 2_000 },
            cable: { kind: 'modbus', register: { address: 100, type: 'uint16' }, connectedWhen: { min: 1 }, pollMs: 20 },
          },
        ],
      },
      { meters: 'configured' },
    );
    await csms.waitFor('StatusNotification', statusIs('Available'));
    device.input.set(100, 7);
    await csms.waitFor('StatusNotification', statusIs('Preparing'));
  });

  it('"modbus" without "connection" on a simulated meter fails at start, saying what to add', () => {
    expect(() => loadEdgeConfig({ identity: 'CP-1', csmsUrl: 'ws://127.0.0.1:1', connectors: [{ cable: { kind: 'modbus', register: { address: 1 }, connectedWhen: { equals: 2 } } }] }, {})).toThrow(
      /connectors\[0\]\.cable: kind "modbus" without "connection" reads the connector's Modbus meter, but its meter is "simulated"; add "connection"/,
    );
  });
});

describe('cable detection: meter power threshold', () => {
  const env = useChargePointTestEnv();

  it('an EV drawing power is connected; during the session a pause is SuspendedEV; after the stop the connector frees when the draw ends', async () => {
    const { csms } = env;
    const { cp, meters } = await env.start({ connectors: [{ cable: { kind: 'power', thresholdW: 100, pollMs: 10, debounceMs: 0 } }] });
    const meter = meters[0]!;
    await csms.waitFor('StatusNotification', statusIs('Available'));
    meter.powerW = 1_500; // a plain live outlet: the car starts drawing when plugged in
    await csms.waitFor('StatusNotification', statusIs('Preparing'));
    expect(await cp.presentCard({ idTag: 'CARD-P', source: 'test' })).toEqual({ result: 'started', connectorId: 1 });
    await csms.waitFor('StatusNotification', statusIs('Charging'));
    meter.powerW = 20; // below the threshold: battery full or a pause
    await csms.waitFor('StatusNotification', statusIs('SuspendedEV'));
    expect(csms.callsOf('StopTransaction')).toEqual([]);
    meter.powerW = 3_000;
    await csms.waitFor('StatusNotification', statusIs('Charging'), 2);
    expect(await cp.presentCard({ idTag: 'CARD-P', source: 'test' })).toEqual({ result: 'stopped', connectorId: 1 });
    await csms.waitFor('StatusNotification', statusIs('Finishing'));
    meter.powerW = 0;
    await csms.waitFor('StatusNotification', statusIs('Available'), 2);
  });
});

describe('cable detection: commands on stdin and on a unix socket', () => {
  const env = useChargePointTestEnv();

  it('stdin: "plug 1" / "unplug 1" lines move the cable', async () => {
    const { csms } = env;
    const stdin = new PassThrough();
    const { cp } = await env.start({ connectors: [{ cable: { kind: 'command' } }] }, { stdin });
    await csms.waitFor('StatusNotification', statusIs('Available'));
    stdin.write('plug 1\n');
    await csms.waitFor('StatusNotification', statusIs('Preparing'));
    expect(await cp.presentCard({ idTag: 'CARD-S', source: 'test' })).toEqual({ result: 'started', connectorId: 1 });
    await csms.waitFor('StatusNotification', statusIs('Charging'));
    stdin.write('04A23B1C\nUNPLUG\n'); // a card UID is not a command; "unplug" alone means connector 1
    const stop = await csms.waitFor('StopTransaction');
    expect(stop.params.reason).toBe('EVDisconnected');
  });

  it('socket: each line gets an answer; status lists the connectors; a non-command connector and unknown commands are refused', async () => {
    const { csms } = env;
    const socketPath = join(env.dir, 'cable.sock');
    writeFileSync(socketPath, ''); // not a socket: refused at start with a clear message
    await expect(env.start({ connectors: [{ cable: { kind: 'command', socket: socketPath } }] })).rejects.toThrow(/cable.sock exists and is not a socket/);
    const { rmSync } = await import('node:fs');
    rmSync(socketPath);
    const { cp } = await env.start({ dataDir: join(env.dir, 'second'), connectors: [{ cable: { kind: 'command', socket: socketPath } }, { cable: 'manual' }] });
    await csms.waitFor('StatusNotification', statusIs('Available', 2));
    const client = createConnection(socketPath);
    const answers: string[] = [];
    let buffer = '';
    client.on('data', (d) => {
      buffer += d;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      answers.push(...lines);
    });
    client.write('plug 1\nplug 2\nfrobnicate\nstatus\n');
    await until(() => answers.length === 4, '4 answers');
    expect(answers[0]).toBe('ok plug 1');
    expect(answers[1]).toMatch(/^error connector 2 does not take cable commands/);
    expect(answers[2]).toMatch(/^error unknown command "frobnicate"; use: plug \[n\] \| unplug \[n\] \| status/);
    expect(answers[3]).toBe('1 Preparing cable=command plugged; 2 Available cable=manual unplugged');
    await csms.waitFor('StatusNotification', statusIs('Preparing'));
    expect(cp.state.connectors[2]?.plugged).toBe(false);
    client.end();
  });
});
